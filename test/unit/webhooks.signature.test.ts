/**
 * The delivery signature (src/webhooks/signature.ts), per the Standard Webhooks spec: the test computes
 * the HMAC itself (key = base64 of what follows `whsec_`; content = "<id>.<timestamp>.<body>"; header
 * `v1,<base64>`), then checks what a receiver refuses: another id, body, secret or timestamp, a
 * replay, and secrets shorter than 32 bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_BYTES, signingKey, signPayload, verifySignature } from '../../src/webhooks/signature';

const keyBytes = randomBytes(32);
const secret = `whsec_${keyBytes.toString('base64')}`;
const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const body = JSON.stringify({ id: 'stage_event:7', type: 'version.promoted', data: { model: 'churn', version: 3 } });
const ts = 1_800_000_000;

/** The spec's signature, computed here without the code under test. */
function standardSignature(key: Buffer, msgId: string, timestamp: number, payload: string): string {
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${payload}`).digest('base64')}`;
}

describe('webhook signatures (Standard Webhooks)', () => {
  it('is v1,<base64 HMAC-SHA256> over "<id>.<timestamp>.<body>", keyed by the base64 after whsec_', () => {
    expect(signPayload(secret, id, ts, body)).toBe(standardSignature(keyBytes, id, ts, body));
  });

  it('keys a secret without the whsec_ prefix by its UTF-8 bytes', () => {
    const raw = 'a-plain-secret-of-at-least-32-bytes!';
    expect(signPayload(raw, id, ts, body)).toBe(standardSignature(Buffer.from(raw, 'utf8'), id, ts, body));
  });

  it('verifies a signed request within the tolerance, among several signatures', () => {
    const signature = `v1,bm90IGl0 ${standardSignature(keyBytes, id, ts, body)}`;
    expect(verifySignature(secret, { id, signature, timestamp: String(ts) }, body, { nowS: ts + 299 })).toEqual({
      ok: true,
    });
  });

  it('refuses another id, body, secret or timestamp, and a missing header', () => {
    const signature = signPayload(secret, id, ts, body);
    const at = { nowS: ts };
    const mismatch = { ok: false, reason: 'signature does not match' };
    // the id is signed: a receiver that dedupes on it dedupes on what the sender signed
    expect(verifySignature(secret, { id: `${id}x`, signature, timestamp: String(ts) }, body, at)).toEqual(mismatch);
    expect(verifySignature(secret, { id, signature, timestamp: String(ts) }, `${body} `, at)).toEqual(mismatch);
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    expect(verifySignature(other, { id, signature, timestamp: String(ts) }, body, at)).toEqual(mismatch);
    // the timestamp is signed: moving it forward to dodge the replay window breaks the signature
    expect(verifySignature(secret, { id, signature, timestamp: String(ts + 1) }, body, at)).toEqual(mismatch);
    expect(verifySignature(secret, { id, signature: undefined, timestamp: String(ts) }, body, at).ok).toBe(false);
    expect(verifySignature(secret, { id: undefined, signature, timestamp: String(ts) }, body, at).ok).toBe(false);
    expect(verifySignature(secret, { id, signature: 'v1,zz', timestamp: String(ts) }, body, at)).toEqual(mismatch);
  });

  it('refuses a replay: a valid signature whose timestamp is older than the tolerance', () => {
    const signature = signPayload(secret, id, ts, body);
    expect(verifySignature(secret, { id, signature, timestamp: String(ts) }, body, { nowS: ts + 301 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance: a replay, or a clock far off',
    });
    expect(verifySignature(secret, { id, signature, timestamp: 'yesterday' }, body, { nowS: ts }).ok).toBe(false);
  });

  it(`refuses keys shorter than ${MIN_SECRET_BYTES} bytes, never quoting the secret`, () => {
    const short = 'x'.repeat(31);
    const refused = signingKey(short);
    expect(refused).toEqual({ problem: expect.stringMatching(/at least 32 bytes \(it has 31\)/) });
    expect(JSON.stringify(refused)).not.toContain(short);
    expect(signingKey(`whsec_${randomBytes(31).toString('base64')}`)).toEqual({
      problem: expect.stringMatching(/it has 31, decoded from base64/),
    });
    expect(signingKey('whsec_not base64!')).toEqual({ problem: expect.stringMatching(/continue in base64/) });
    expect(signingKey('x'.repeat(32))).toEqual({ key: Buffer.from('x'.repeat(32)) });
    expect(() => signPayload(short, id, ts, body)).toThrow(/refused signing secret/);
  });
});
