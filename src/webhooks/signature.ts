/**
 * The signature of a delivery, the Standard Webhooks scheme (standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`. The id is signed with the body, so a receiver that dedupes on it
 * dedupes on what the sender said; the timestamp (Unix seconds, new for every attempt) too, so a
 * receiver that refuses old timestamps refuses a replayed request. docs/WEBHOOKS.md shows a
 * receiver's check; verifySignature is that check, used by the tests' receiver.
 *
 * The key: a secret `whsec_<base64>` (the scheme's format, which its libraries read) is the bytes the
 * base64 decodes to; any other value is its UTF-8 bytes. Either way at least MIN_SECRET_BYTES.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ID_HEADER = 'webhook-id';
export const TIMESTAMP_HEADER = 'webhook-timestamp';
export const SIGNATURE_HEADER = 'webhook-signature';
/** Informational, not signed: the event type is in the signed body too. */
export const EVENT_HEADER = 'x-webhook-event';
export const ATTEMPT_HEADER = 'x-webhook-attempt';

/** The shortest signing key accepted: HMAC-SHA256's own block of strength. */
export const MIN_SECRET_BYTES = 32;

const STANDARD_PREFIX = 'whsec_';

/** The HMAC key of a secret, or why the secret is refused (never quoting it). */
export function signingKey(secret: string): { key: Buffer } | { problem: string } {
  let key: Buffer;
  if (secret.startsWith(STANDARD_PREFIX)) {
    const b64 = secret.slice(STANDARD_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
      return {
        problem: `a value starting with ${STANDARD_PREFIX} must continue in base64 (the Standard Webhooks format)`,
      };
    key = Buffer.from(b64, 'base64');
  } else key = Buffer.from(secret, 'utf8');
  if (key.length < MIN_SECRET_BYTES)
    return {
      problem: `a signing key of at least ${MIN_SECRET_BYTES} bytes (it has ${key.length}${secret.startsWith(STANDARD_PREFIX) ? ', decoded from base64' : ''}), e.g. whsec_$(openssl rand -base64 32)`,
    };
  return { key };
}

function keyOf(secret: string): Buffer {
  const k = signingKey(secret);
  if ('problem' in k) throw new Error(`refused signing secret: ${k.problem}`);
  return k.key;
}

/** `v1,<base64>` of HMAC-SHA256(key, `${id}.${timestamp}.${body}`). */
export function signPayload(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of one attempt: the three signed ones of the scheme, and two informational. */
export function deliveryHeaders(
  secret: string,
  delivery: { id: string; event: string; attempt: number },
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    [ID_HEADER]: delivery.id,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signPayload(secret, delivery.id, timestamp, body),
    [EVENT_HEADER]: delivery.event,
    [ATTEMPT_HEADER]: String(delivery.attempt),
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * A receiver's check: one of the header's space-separated `v1,` signatures matches (constant-time),
 * and the timestamp is within `toleranceS` of `nowS` (default 5 minutes), so a captured request
 * cannot be replayed later.
 */
export function verifySignature(
  secret: string,
  headers: { id: string | undefined; signature: string | undefined; timestamp: string | undefined },
  body: string,
  options: { nowS?: number; toleranceS?: number } = {},
): VerifyResult {
  const { id, signature, timestamp } = headers;
  if (!id || !signature || !timestamp)
    return { ok: false, reason: `missing ${ID_HEADER}, ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} is not Unix seconds` };
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > (options.toleranceS ?? 300))
    return { ok: false, reason: 'timestamp outside the tolerance: a replay, or a clock far off' };
  const expected = Buffer.from(signPayload(secret, id, Number(timestamp), body));
  const matches = signature.split(' ').some((given) => {
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  });
  return matches ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
