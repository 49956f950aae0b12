/**
 * The signature of a delivery (GitHub's and Stripe's scheme): `X-Signature-256: sha256=<hex>` where
 * hex = HMAC-SHA256(secret, `${X-Webhook-Timestamp}.${body}`). The timestamp (Unix seconds, new for
 * every attempt) is signed with the body, so a receiver that refuses old timestamps refuses a replayed
 * request; docs/WEBHOOKS.md shows a receiver's check. verifySignature is that check, used by the tests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature-256';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';
export const ID_HEADER = 'x-webhook-id';
export const EVENT_HEADER = 'x-webhook-event';

/** `sha256=<hex>` of `${timestamp}.${body}`. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * A receiver's check: the signature matches (constant-time) and the timestamp is within `toleranceS`
 * of `nowS` (default 5 minutes), so a captured request cannot be replayed later.
 */
export function verifySignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  options: { nowS?: number; toleranceS?: number } = {},
): VerifyResult {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: 'missing X-Signature-256 or X-Webhook-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Webhook-Timestamp is not Unix seconds' };
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > (options.toleranceS ?? 300))
    return { ok: false, reason: 'timestamp outside the tolerance: a replay, or a clock far off' };
  const expected = Buffer.from(signPayload(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
