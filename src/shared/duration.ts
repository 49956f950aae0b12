/** Durations as models.yaml and retrain inputs write them: '90s', '15m', '1h', '30d', '2w'. */
import { ValidationError } from './errors';
import { matching } from './validation';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;
const EXPECTED = "a duration such as '90s', '15m', '1h', '30d' or '2w'";

/** '90s', '15m', '1h', '30d', '2w' → milliseconds; throws ValidationError naming `field`. */
export function parseDuration(field: string, value: unknown): number {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (!match || Number(match[1]) <= 0) throw new ValidationError(field, value, EXPECTED);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** The schema of a duration field: the same rule as parseDuration, zero excluded. */
export const duration = matching(DURATION, EXPECTED).refine((v) => Number(DURATION.exec(v)?.[1] ?? 0) > 0, {
  error: EXPECTED,
});
