/**
 * One GET of a source page with undici, classified for the retry policy:
 * - ok: 2xx with a body (parsed by the caller);
 * - retry: 408, 429, 5xx, timeouts, resets, refused connections; carries Retry-After when the source sent one;
 * - fatal: any other 4xx (401, 403, 404, …), which a retry cannot fix.
 * Header values are never put into a result or an error: they may hold secrets.
 */
import { Agent, errors as undiciErrors, request } from 'undici';

export type FetchOutcome =
  | { kind: 'ok'; status: number; text: string; link: string | undefined }
  | { kind: 'retry'; status: number | undefined; reason: string; retryAfterMs: number | undefined }
  | { kind: 'fatal'; status: number; reason: string };

/** A keep-alive connection pool per worker process; per-request timeouts override its defaults. */
export function createSourceAgent(): Agent {
  return new Agent({ connections: 64, keepAliveTimeout: 10_000, pipelining: 1 });
}

export async function fetchPage(agent: Agent, url: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<FetchOutcome> {
  let response;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher: agent,
      headers: { accept: 'application/json', ...headers },
      // headersTimeout: time to the response head (a hung source); bodyTimeout: longest gap between body chunks.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
  } catch (err) {
    return { kind: 'retry', status: undefined, reason: describeNetworkError(err, timeoutMs), retryAfterMs: undefined };
  }
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      return { kind: 'retry', status: statusCode, reason: `reading the body failed: ${describeNetworkError(err, timeoutMs)}`, retryAfterMs: undefined };
    }
    return { kind: 'ok', status: statusCode, text, link: headerText(response.headers.link) };
  }
  // Read a little of the error body for the message, then drop the rest so the connection is reusable.
  const snippet = await response.body.text().then((t) => t.slice(0, 200).replace(/\s+/g, ' ').trim(), () => '');
  const reason = `HTTP ${statusCode}${snippet ? `: ${snippet}` : ''}`;
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
    return { kind: 'retry', status: statusCode, reason, retryAfterMs: parseRetryAfter(headerText(response.headers['retry-after'])) };
  }
  return { kind: 'fatal', status: statusCode, reason };
}

/** Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3); capped at 10 minutes. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, 600_000);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof undiciErrors.HeadersTimeoutError) return `no response within ${timeoutMs} ms (headers timeout)`;
  if (err instanceof undiciErrors.BodyTimeoutError) return `the body stalled for ${timeoutMs} ms (body timeout)`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  return `${code ? `${code}: ` : ''}${e.message ?? String(err)}`;
}
