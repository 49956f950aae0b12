/**
 * One GET of a source page with undici, classified for the retry policy:
 * - ok: 2xx with a body (parsed by the caller);
 * - retry: 408, 429, 5xx, timeouts, the overall deadline, resets, refused connections; carries
 *   Retry-After when the source sent one;
 * - fatal: any other 4xx (401, 403, 404, …), which a retry cannot fix;
 * - too-large: a body over the page's byte cap (read no further: a retry would send it again);
 * - refused: the destination is a non-public address the policy does not allow (src/http/destinations.ts);
 * - invalid: a request undici will not send as built (a header value with CR/LF or outside Latin-1).
 * Header values are never put into a result or an error: they may hold secrets.
 */
import { Agent, request } from 'undici';
import { guardedConnector, isDestinationRefusal, type DestinationPolicy } from '../http/destinations';
import { describeNetworkError } from '../http/network-errors';
import { parseRetryAfter } from '../http/retry-after';
import { invalidRequest, isRetryableStatus } from '../http/retryable';

export type FetchOutcome =
  | { kind: 'ok'; status: number; text: string; bytes: number; header: (name: string) => string | undefined }
  | { kind: 'retry'; status: number | undefined; reason: string; retryAfterMs: number | undefined }
  | { kind: 'fatal'; status: number; reason: string }
  | { kind: 'too-large'; status: number; bytes: number; head: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface FetchLimits {
  /** time to the response head, and the longest gap between body chunks */
  timeoutMs: number;
  /** the longest the whole request may take, body included */
  deadlineMs: number;
  /** the largest body accepted */
  maxBytes: number;
  signal?: AbortSignal;
}

/**
 * A keep-alive connection pool per worker process; per-request timeouts override its defaults. Every
 * connection it opens is judged by `destinations` (sourceDestinationPolicy), literal IPs included.
 */
export function createSourceAgent(destinations: DestinationPolicy): Agent {
  return new Agent({
    connections: 64,
    keepAliveTimeout: 10_000,
    pipelining: 1,
    connect: guardedConnector(destinations),
  });
}

export async function fetchPage(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  limits: FetchLimits,
): Promise<FetchOutcome> {
  const deadline = AbortSignal.timeout(limits.deadlineMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, deadline]) : deadline;
  const overDeadline = () => ({
    kind: 'retry' as const,
    status: undefined,
    reason: `the request took longer than its deadline of ${limits.deadlineMs} ms`,
    retryAfterMs: undefined,
  });
  let response;
  const requestHeaders = { accept: 'application/json', ...headers };
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher: agent,
      headers: requestHeaders,
      // headersTimeout: time to the response head (a hung source); bodyTimeout: longest gap between body chunks.
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
      signal,
    });
  } catch (err) {
    if (deadline.aborted && !limits.signal?.aborted) return overDeadline();
    if (limits.signal?.aborted) throw err;
    if (isDestinationRefusal(err)) return { kind: 'refused', reason: describeNetworkError(err, limits.timeoutMs) };
    const invalid = invalidRequest(err, requestHeaders);
    if (invalid) return { kind: 'invalid', reason: invalid };
    return {
      kind: 'retry',
      status: undefined,
      reason: describeNetworkError(err, limits.timeoutMs),
      retryAfterMs: undefined,
    };
  }
  const { statusCode } = response;
  const header = (name: string) => headerText(response.headers[name]);
  if (statusCode >= 200 && statusCode < 300) {
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      const declared = Number(header('content-length'));
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        response.body.destroy();
        return { kind: 'too-large', status: statusCode, bytes: declared, head: '' };
      }
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        bytes += buffer.length;
        chunks.push(buffer);
        if (bytes > limits.maxBytes) {
          response.body.destroy();
          return {
            kind: 'too-large',
            status: statusCode,
            bytes,
            head: Buffer.concat(chunks).subarray(0, 4096).toString('utf8'),
          };
        }
      }
    } catch (err) {
      if (deadline.aborted && !limits.signal?.aborted) return overDeadline();
      if (limits.signal?.aborted) throw err;
      return {
        kind: 'retry',
        status: statusCode,
        reason: `reading the body failed: ${describeNetworkError(err, limits.timeoutMs)}`,
        retryAfterMs: undefined,
      };
    }
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8');
    return { kind: 'ok', status: statusCode, text, bytes, header };
  }
  // Read a little of the error body for the message, then drop the rest so the connection is reusable.
  const snippet = await response.body.text().then(
    (t) => t.slice(0, 200).replace(/\s+/g, ' ').trim(),
    () => '',
  );
  const reason = `HTTP ${statusCode}${snippet ? `: ${snippet}` : ''}`;
  if (isRetryableStatus(statusCode)) {
    return { kind: 'retry', status: statusCode, reason, retryAfterMs: parseRetryAfter(header('retry-after')) };
  }
  return { kind: 'fatal', status: statusCode, reason };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
