/**
 * Secret detection for ENV/ARG (and RUN text): by variable name, and by the shape of the value
 * (known key formats, and high-entropy strings). ENV and ARG values end up in the image's config
 * and history (`docker history`), readable by anyone who can pull the image.
 */

/** Names Trivy's DS031 lists, plus the usual words for credentials. */
const SECRET_NAME =
  /(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY(_ID)?|PRIVATE_?KEY|CLIENT_?SECRET|CREDENTIALS?|AUTH_?KEY|SESSION_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|WEBHOOK_?SECRET|DSN)($|_)/i;
/** Names that point at a secret instead of holding it (`POSTGRES_PASSWORD_FILE=/run/secrets/pg`). */
const REFERENCE_NAME = /_(FILE|PATH|DIR|URL_FILE)$/i;
/** Names whose values are expected to be long and random but are not secret. */
const CHECKSUM_NAME = /(SHA(1|256|512)?|CHECKSUM|HASH|DIGEST|GPG_?KEYS?|FINGERPRINT)/i;

/** Known key formats, each with the issuer's name for the message. */
const KNOWN_FORMATS: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ['Stripe secret key', /\b(sk|rk)_live_[A-Za-z0-9]{16,}\b/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['OpenAI API key', /\bsk-(proj-)?[A-Za-z0-9_-]{32,}\b/],
  ['Hugging Face token', /\bhf_[A-Za-z0-9]{30,}\b/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['private key', /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/],
  ['JSON Web Token', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['password in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@$]+:[^\s@/$]{3,}@[^\s/]+/i],
];

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A value that only refers to something else: `${VAR}`, `$VAR`, a path or an empty string. */
function isReference(value: string): boolean {
  return value === '' || /^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-=?+][^}]*)?\}?$/.test(value) || /^\.{0,2}\//.test(value);
}

/** Why `name` looks like it holds a secret, or undefined. */
export function secretByName(name: string, value: string | null): string | undefined {
  if (!SECRET_NAME.test(name) || REFERENCE_NAME.test(name)) return undefined;
  // a path names where the secret lives; anything else (a literal, or ${ARG} copied in) is baked into the image
  if (value !== null && /^\.{0,2}\//.test(value)) return undefined;
  return `its name ${name} says it holds a secret`;
}

/** Which known key format `text` contains, or undefined. */
export function knownSecretFormat(text: string): string | undefined {
  return KNOWN_FORMATS.find(([, re]) => re.test(text))?.[0];
}

/**
 * Why `value` looks like a secret by its shape, or undefined: a known key format, or a long
 * random-looking token (≥ 20 characters of one word, ≥ 4.0 bits/char, letters and digits mixed).
 * Hex-only values and checksum-named variables are skipped: build checksums are long and random too.
 */
export function secretByValue(name: string, value: string | null): string | undefined {
  if (value === null || isReference(value)) return undefined;
  const format = knownSecretFormat(value);
  if (format) return `its value has the shape of a credential (${format})`;
  if (CHECKSUM_NAME.test(name)) return undefined;
  const token = value.trim();
  if (token.length < 20 || /\s/.test(token) || /^[0-9a-f]+$/i.test(token)) return undefined;
  if (!/^[A-Za-z0-9+/=_.~-]+$/.test(token) || !/[A-Za-z]/.test(token) || !/\d/.test(token)) return undefined;
  const bits = entropy(token);
  return bits >= 4.0
    ? `its value is a ${token.length}-character random-looking string (entropy ${bits.toFixed(1)} bits/char)`
    : undefined;
}
