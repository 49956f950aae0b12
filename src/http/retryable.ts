/**
 * What a retry may fix. Statuses: 408 (the server timed out waiting), 429 (too many requests) and
 * every 5xx; any other 4xx is the request's own fault and fails the same way again. Errors: a request
 * undici refuses to send as built (invalidRequest) fails the same way on every attempt.
 */
import { errors as undiciErrors } from 'undici';

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Why undici refused to send the request at all, or undefined for any other error. undici throws
 * InvalidArgumentError for a header value holding CR, LF, NUL or a character outside Latin-1 (and for a
 * bad header name). The reason names the header, matched against the request's own header names, and
 * never its value nor undici's message as such: header values carry secrets.
 */
export function invalidRequest(err: unknown, headers: Record<string, string>): string | undefined {
  if (!(err instanceof undiciErrors.InvalidArgumentError)) return undefined;
  const named = /^invalid (.+) header$/.exec(err.message)?.[1]?.toLowerCase();
  const header = Object.keys(headers).find((name) => name.toLowerCase() === named);
  return header
    ? `the ${header} header's value cannot be sent (CR, LF, NUL or a character outside Latin-1; the value is not shown): not retried`
    : `undici refused the request as built (${err.code}: a header name or value it cannot send; not shown): not retried`;
}
