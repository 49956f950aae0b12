/**
 * The statuses a retry may fix: 408 (the server timed out waiting), 429 (too many requests) and every
 * 5xx. Any other 4xx is the request's own fault and fails the same way again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
