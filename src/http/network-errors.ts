/**
 * Why an outbound request got no response, in words for run errors and delivery logs: undici's two
 * timeouts by name, anything else as its code and message.
 */
import { errors as undiciErrors } from 'undici';

/** The error's code (ECONNREFUSED, ELINKLOCAL, …): on the error, or on its cause where undici wraps it. */
export function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code;
}

export function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof undiciErrors.HeadersTimeoutError) return `no answer within ${timeoutMs} ms (headers timeout)`;
  if (err instanceof undiciErrors.BodyTimeoutError) return `the body stalled for ${timeoutMs} ms (body timeout)`;
  const code = networkErrorCode(err);
  return `${code ? `${code}: ` : ''}${(err as { message?: string }).message ?? String(err)}`;
}
