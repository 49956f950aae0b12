/**
 * Which text PostgreSQL can store: text and jsonb refuse a NUL character and a lone UTF-16 surrogate
 * (SQLSTATE 22021 / 22P05). The one rule for outside text that reaches a text column; part of the
 * workflow-safe kernel, so a workflow's validators apply it too.
 */

/** A NUL character or a lone surrogate: PostgreSQL text refuses both. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// eslint-disable-next-line no-control-regex -- a quick first look: NUL or any surrogate
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

export function unstorableText(text: string): boolean {
  if (!MAYBE_UNSTORABLE.test(text)) return false;
  UNSTORABLE_CHAR.lastIndex = 0;
  return UNSTORABLE_CHAR.test(text);
}

/** Text PostgreSQL accepts: a NUL becomes the six characters \u0000, a lone surrogate U+FFFD. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_CHAR, (c) => (c === '\u0000' ? '\\u0000' : '\ufffd'));
}
