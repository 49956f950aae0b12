/**
 * Event times as sources send them, to epoch milliseconds, the same on every worker:
 * - ISO-8601 text; without an offset (`2026-11-30T10:00:00`) it is UTC, never the worker's time zone
 *   (a record must get the same key on a worker in Berlin and one in New York);
 * - other text only with an explicit zone (RFC 2822 / HTTP-date: `Mon, 30 Nov 2026 10:00:00 GMT`);
 * - numbers in the declared unit: 's', 'ms', or 'auto' (below 1e11 it is seconds: 1e11 s is the year
 *   5138, 1e11 ms is March 1973, so only epoch milliseconds from 1970–1973 would be misread).
 * NaN when the value is no time.
 */
import type { EventTimeUnit } from '../shared/source-definition';

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;
/** An explicit zone at the end of non-ISO text: GMT, UTC, UT, Z or a numeric offset. */
const EXPLICIT_ZONE = /(?:\b(?:GMT|UTC|UT|Z)|[+-]\d{4})\s*$/i;
const AUTO_SECONDS_BELOW = 1e11;

export function eventTimeMs(value: unknown, unit: EventTimeUnit = 'auto'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return NaN;
    if (unit === 's' || (unit === 'auto' && Math.abs(value) < AUTO_SECONDS_BELOW)) return value * 1000;
    return value;
  }
  if (typeof value !== 'string') return NaN;
  // the common case: an ISO time in UTC ('…Z')
  const last = value.charCodeAt(value.length - 1);
  if ((last === 90 || last === 122) && value.length >= 20) return Date.parse(value);
  const iso = ISO.exec(value);
  if (iso) {
    const [, date, time, zone] = iso;
    if (time === undefined) return Date.parse(`${date}T00:00:00Z`);
    const offset =
      zone === undefined
        ? 'Z'
        : zone.length === 3
          ? `${zone}:00`
          : zone.length === 5
            ? `${zone.slice(0, 3)}:${zone.slice(3)}`
            : zone;
    return Date.parse(`${date}T${time.replace(',', '.')}${offset}`);
  }
  return EXPLICIT_ZONE.test(value) ? Date.parse(value) : NaN;
}
