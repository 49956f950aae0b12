/**
 * The scanner's own errors. It imports nothing from the orchestrator, so it does not use src/shared/errors.ts;
 * the message format is the same as the orchestrator's ValidationError: `<field>=<value> is invalid: <expected>`.
 */

/** Renders a value for an error message: strings quoted, long values cut. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** A command-line argument (flag, path) the scanner cannot use as given. The CLI exits 2 on it. */
export class ScanUsageError extends Error {
  override readonly name = 'ScanUsageError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}=${showValue(value)} is invalid: ${expected}`);
  }
}
