/**
 * From named feature values to the row of doubles a MOJO scores, as h2o-genmodel's
 * RowToRawDataConverter does with convertUnknownCategoricalLevelsToNa (PredictCsv's setting): a
 * missing feature is NaN, an unseen level is NaN (the trees send it the NA way), a number that does
 * not parse is an error naming the feature and the value. Missing and unseen values are counted, so
 * callers can report them.
 */
import { ValidationError } from '../shared/errors';
import type { MojoModel } from './types';

/** A feature value as it arrives in JSON or a CSV cell. */
export type ScoringValue = string | number | boolean | null | undefined;

export interface RowStats {
  missing: number;
  unseen: number;
}

/**
 * Java's Double.parseDouble, for the decimal forms (and NaN/Infinity) a CSV or JSON string can hold.
 * Unambiguous, so linear: the integer digits and the fraction are split by a required '.', never by a
 * choice the engine backtracks over (`\d+\.?\d*` was quadratic: 20,001 digits and an `x` took 0.7 s).
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[dDfF]?$/;
const SPECIAL = /^[+-]?(NaN|Infinity)$/;

export function parseJavaDouble(s: string): number | undefined {
  // Fast path, no allocation: Number() agrees with Java on every decimal it accepts when the text has
  // no surrounding blanks and is not one of JavaScript's 0x/0b/0o integers.
  const first = s.charCodeAt(0);
  if (first > 32 && s.charCodeAt(s.length - 1) > 32 && !(first === 48 && s.length > 1 && 'xXbBoO'.includes(s[1]!))) {
    const n = Number(s);
    if (n === n) return n;
  }
  const t = s.trim();
  if (DECIMAL.test(t)) return Number(t.replace(/[dDfF]$/, ''));
  if (SPECIAL.test(t)) return Number(t);
  return undefined;
}

/**
 * NaN and ±Infinity as numeric values: `accept` as PredictCsv does (NaN is missing), or `refuse` them
 * (the service's default: no client means to send them, and a GLM turns them into a NaN score).
 */
export type NonFinite = 'accept' | 'refuse';

export interface RowEncoder {
  /** Fills `row` (one double per feature) from `values`; `where` prefixes field names in errors. */
  encode(
    values: (feature: string) => ScoringValue,
    row: Float64Array,
    stats: RowStats,
    where?: string,
    nonFinite?: NonFinite,
  ): Float64Array;
}

const NON_FINITE =
  'expected a finite number for this numeric feature (NaN and Infinity are refused unless SERVE_ALLOW_NON_FINITE=true)';

export function rowEncoder(model: MojoModel): RowEncoder {
  const levels = model.domains.map((d) => (d ? new Map(d.map((level, i) => [level, i])) : null));
  return {
    encode(values, row, stats, where = '', nonFinite = 'accept') {
      for (let i = 0; i < model.features.length; i++) {
        const name = model.features[i]!;
        const v = values(name);
        const domain = levels[i];
        if (v === null || v === undefined) {
          row[i] = Number.NaN;
          stats.missing++;
        } else if (domain) {
          // JSON numbers name levels by their text ("3" for 3), as a CSV cell would.
          const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined;
          if (text === undefined)
            throw new ValidationError(
              `${where}${name}`,
              v,
              `expected a level of this categorical feature (a string), e.g. ${JSON.stringify(model.domains[i]![0])}`,
            );
          const index = domain.get(text) ?? domain.get(`${name}.${text}`);
          if (index === undefined) {
            row[i] = Number.NaN;
            stats.unseen++;
          } else row[i] = index;
        } else {
          const n = typeof v === 'number' ? v : typeof v === 'string' ? parseJavaDouble(v) : undefined;
          if (n === undefined)
            throw new ValidationError(`${where}${name}`, v, 'expected a number for this numeric feature');
          // JSON's 1e999 is Infinity too
          if (nonFinite === 'refuse' && !Number.isFinite(n))
            throw new ValidationError(`${where}${name}`, v, NON_FINITE);
          row[i] = n;
          if (Number.isNaN(n)) stats.missing++;
        }
      }
      return row;
    },
  };
}
