/**
 * Whether a feature is a number or a category. One rule for training and drift alike, so a column
 * H2O trains on as numeric is binned by edges in the reference and the sensor, and one it treats as
 * a factor (Enum) is binned by category:
 * - numeric: every non-null value is a JSON number (a feature with no values at all counts as numeric:
 *   one value bin, everything in the null bin);
 * - categorical: strings or booleans, alone or mixed with numbers (H2O parses a mixed column as Enum);
 * - unsupported: any JSON object or array, which has no column type.
 */

/** A JSON value's type as PostgreSQL's jsonb_typeof names it. */
export type JsonType = 'number' | 'string' | 'boolean' | 'object' | 'array' | 'null';

export type FeatureKind = 'numeric' | 'categorical' | 'unsupported';

/** The kind of a feature from the distinct JSON types of its values ('null' is ignored). */
export function featureKind(types: Iterable<string>): FeatureKind {
  let kind: FeatureKind = 'numeric';
  for (const type of types) {
    if (type === 'object' || type === 'array') return 'unsupported';
    if (type === 'string' || type === 'boolean') kind = 'categorical';
  }
  return kind;
}
