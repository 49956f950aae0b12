/** The outbound retry rules sources and webhooks share: which statuses are retried, Retry-After, network errors in words. */
import { describe, expect, it } from 'vitest';
import { errors as undiciErrors } from 'undici';
import { describeNetworkError, networkErrorCode } from '../../src/http/network-errors';
import { parseRetryAfter } from '../../src/http/retry-after';
import { isRetryableStatus } from '../../src/http/retryable';

describe('isRetryableStatus', () => {
  it('retries 408, 429 and 5xx only', () => {
    for (const status of [408, 429, 500, 502, 503, 599]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 301, 400, 401, 403, 404, 409, 422]) expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it('reads seconds and HTTP dates, capped at 10 minutes', () => {
    expect(parseRetryAfter(' 2 ', now)).toBe(2000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('3600', now)).toBe(600_000);
  });
  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('describeNetworkError', () => {
  it("names undici's timeouts, else the code (on the error or its cause) and message", () => {
    expect(describeNetworkError(new undiciErrors.HeadersTimeoutError(), 1500)).toBe(
      'no answer within 1500 ms (headers timeout)',
    );
    expect(describeNetworkError(new undiciErrors.BodyTimeoutError(), 1500)).toBe(
      'the body stalled for 1500 ms (body timeout)',
    );
    expect(
      describeNetworkError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
        1500,
      ),
    ).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9');
    const wrapped = new Error('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    expect(networkErrorCode(wrapped)).toBe('ECONNRESET');
    expect(describeNetworkError(wrapped, 1500)).toBe('ECONNRESET: fetch failed');
  });
});
