/** The delivery signature (src/webhooks/signature.ts): what a receiver computes, and what it refuses. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from '../../src/webhooks/signature';

const secret = 'whsec_test_5f1c';
const body = JSON.stringify({ id: 'stage_event:7', type: 'version.promoted', data: { model: 'churn', version: 3 } });
const ts = 1_800_000_000;

describe('webhook signatures', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signPayload(secret, ts, body)).toBe(`sha256=${expected}`);
  });

  it('verifies a signed request within the tolerance', () => {
    const signature = signPayload(secret, ts, body);
    expect(verifySignature(secret, { signature, timestamp: String(ts) }, body, { nowS: ts + 299 })).toEqual({
      ok: true,
    });
  });

  it('refuses another body, another secret, another timestamp, and a missing header', () => {
    const signature = signPayload(secret, ts, body);
    const at = { nowS: ts };
    expect(verifySignature(secret, { signature, timestamp: String(ts) }, `${body} `, at)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifySignature('another', { signature, timestamp: String(ts) }, body, at)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    // the timestamp is signed: moving it forward to dodge the replay window breaks the signature
    expect(verifySignature(secret, { signature, timestamp: String(ts + 1) }, body, at)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifySignature(secret, { signature: undefined, timestamp: String(ts) }, body, at).ok).toBe(false);
    expect(verifySignature(secret, { signature: 'sha256=zz', timestamp: String(ts) }, body, at)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
  });

  it('refuses a replay: a valid signature whose timestamp is older than the tolerance', () => {
    const signature = signPayload(secret, ts, body);
    expect(verifySignature(secret, { signature, timestamp: String(ts) }, body, { nowS: ts + 301 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance: a replay, or a clock far off',
    });
    expect(verifySignature(secret, { signature, timestamp: 'yesterday' }, body, { nowS: ts }).ok).toBe(false);
  });
});
