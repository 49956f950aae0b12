/**
 * Outside text that used to take a process down or retry forever: registry notifications, a page
 * too big for the heap, a header value undici refuses, a NUL in a cursor, an approval's text, and the
 * SQLSTATEs of a value PostgreSQL refuses.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError } from 'pg';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { unstorableText } from '../../src/feature-store/rows';
import { decodeCursor, encodeCursor } from '../../src/feature-store/watermarks';
import { invalidRequest } from '../../src/http/retryable';
import { defaultMaxPageBytes } from '../../src/config';
import { overHeapBudget } from '../../src/ingest/page-budget';
import { readNotice } from '../../src/serving/registry-watch';
import { FailureType, type ValidationError } from '../../src/shared/errors';
import { toFailure } from '../../src/shared/failure';
import { approvalDecision } from '../../src/shared/messages/retrain-model';
import { parse } from '../../src/shared/validation';

describe('readNotice (registry NOTIFY payloads)', () => {
  it("reads the registry's own notice", () => {
    expect(readNotice(JSON.stringify({ model: 'churn', version: 3 }))).toEqual({ model: 'churn' });
  });
  it('names the problem of anything else, never throwing', () => {
    for (const p of ['not json', '', '{"model":']) expect(readNotice(p)).toEqual({ problem: 'not-json' });
    for (const p of [
      'null',
      '[]',
      '{}',
      '{"model":"churn"}',
      '{"model":"a b","version":1}',
      '{"model":"c","version":0}',
    ])
      expect(readNotice(p)).toEqual({ problem: 'invalid' });
  });
});

describe('the page heap budget', () => {
  it('defaults the page cap to 1/40 of the heap, at most 64 MiB', () => {
    expect(defaultMaxPageBytes(816 * 2 ** 20)).toBe(Math.floor((816 * 2 ** 20) / 40));
    expect(defaultMaxPageBytes(8 * 2 ** 30)).toBe(64 * 2 ** 20);
  });
  it('refuses a body whose parse would take more than half the free heap', () => {
    const heap = { heap_size_limit: 800_000_000, used_heap_size: 200_000_000 };
    expect(overHeapBudget(15_000_000, 20, heap)).toBeUndefined(); // 300 MB of the 300 MB spare
    const over = overHeapBudget(15_000_001, 20, heap);
    expect(over).toMatch(/body of 15000001 bytes.*needs 300000020 bytes of heap, over the 300000000/);
  });
});

describe('invalidRequest (a request undici will not send)', () => {
  it('names the header, never its value', () => {
    const reason = invalidRequest(new undiciErrors.InvalidArgumentError('invalid x-api-key header'), {
      accept: 'application/json',
      'X-Api-Key': 'sekret\r\nInjected: 1',
    });
    expect(reason).toMatch(/the X-Api-Key header's value cannot be sent/);
    expect(reason).not.toContain('sekret');
  });
  it('says undici refused without repeating its message when no header of the request is named', () => {
    const reason = invalidRequest(new undiciErrors.InvalidArgumentError('invalid sekret header'), { a: 'b' });
    expect(reason).toMatch(/UND_ERR_INVALID_ARG/);
    expect(reason).not.toContain('sekret');
  });
  it('leaves network errors to the retry policy', () => {
    expect(
      invalidRequest(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {}),
    ).toBeUndefined();
    expect(invalidRequest(new undiciErrors.HeadersTimeoutError(), {})).toBeUndefined();
  });
});

describe('watermark cursors', () => {
  it('come back equal, NUL and lone surrogates included, and store only text PostgreSQL accepts', () => {
    for (const cursor of ['cursor=abc', 'cursor=a\u0000b', 'cursor=\ud800x', '"quoted', 'https://x.test/?p=2', '']) {
      const stored = encodeCursor(cursor);
      expect(unstorableText(stored)).toBe(false);
      expect(decodeCursor(stored)).toBe(cursor);
    }
    // what was stored before keeps its meaning
    expect(encodeCursor('cursor=abc')).toBe('cursor=abc');
  });
});

describe('approvalDecision', () => {
  const refused = (d: unknown) => {
    try {
      parse(approvalDecision, d, 'decision');
    } catch (err) {
      return err as ValidationError;
    }
    throw new Error(`accepted ${JSON.stringify(d)}`);
  };
  it('accepts a name and a comment with line breaks, or nothing', () => {
    expect(parse(approvalDecision, { by: 'alice', comment: 'ok\r\nshipped\tnow' }, 'decision')).toEqual({
      by: 'alice',
      comment: 'ok\r\nshipped\tnow',
    });
    expect(parse(approvalDecision, undefined, 'decision')).toBeUndefined();
  });
  it('refuses NUL, control characters, lone surrogates and over-long text, naming the field', () => {
    expect(refused({ by: 'alice', comment: 'a\u0000b' }).field).toBe('decision.comment');
    expect(refused({ by: 'al\u0000ice' }).field).toBe('decision.by');
    expect(refused({ by: 'al\nice' }).field).toBe('decision.by');
    expect(refused({ comment: 'x\u001b[2J' }).field).toBe('decision.comment');
    expect(refused({ comment: 'x\udc00' }).field).toBe('decision.comment');
    expect(refused({ comment: 'x'.repeat(2001) }).field).toBe('decision.comment');
    expect(refused({ by: 7 }).field).toBe('decision.by');
    expect(refused({ who: 'alice' }).field).toBe('decision.who');
    expect(refused(null).field).toBe('decision');
  });
});

describe('toFailure: values PostgreSQL refuses', () => {
  const dbError = (code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { code });
  it('makes 22021, 22P05, 22P02 and 22001 non-retryable UnstorableTextError', () => {
    for (const code of ['22021', '22P05', '22P02', '22001']) {
      const f = toFailure(dbError(code, 'invalid byte sequence for encoding "UTF8": 0x00')) as ApplicationFailure;
      expect(f).toBeInstanceOf(ApplicationFailure);
      expect([f.type, f.nonRetryable, f.details]).toEqual([FailureType.UnstorableText, true, [{ sqlState: code }]]);
    }
  });
  it('leaves other database errors to the retry policy', () => {
    const err = dbError('57P01', 'terminating connection due to administrator command');
    expect(toFailure(err)).toBe(err);
  });
});
