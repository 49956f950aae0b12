/**
 * Outside text (a receiver's answer, a source's error body, a failure message quoting either) made
 * safe to print: every control character a terminal could act on, C0 (ESC, CR, BS, …), DEL and C1
 * (U+0080–U+009F, CSI among them), is shown as its escape (`\x1b`) instead, so a response cannot
 * move the cursor, rewrite earlier lines, retitle the window or hide text. The one rule for all the
 * CLI's printing of text it did not write.
 */

// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- the same, except the line breaks and tabs of multi-line text
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** One line of outside text: every control character escaped, line breaks and tabs too. */
export function printable(text: string): string {
  return text.replace(CONTROL, hex);
}

/** Outside text of several lines: control characters escaped, keeping \n and \t. */
export function printableLines(text: string): string {
  return text.replace(CONTROL_BUT_LINES, hex);
}

/** JSON for the terminal: JSON.stringify escapes C0 already; DEL and C1 become \u00XX (still valid JSON). */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
