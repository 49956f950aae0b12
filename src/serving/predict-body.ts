/**
 * The bounds of a predict body, {"rows":[{feature: value}]} or {"entities":["id"]}, enforced before it
 * becomes work. Twice: `scanBounds` reads the raw text before JSON.parse (16 MiB of `{},` would
 * otherwise become 5.5 million objects, 2 s of parsing, before any schema sees them; the scan takes
 * about 35 ms for 16 MiB), and the route schema checks the parsed body (maxItems and maxProperties stop
 * the validator at the bound; maxLength bounds every string).
 */

export interface BodyLimits {
  /** rows or entities in one request (SERVE_MAX_ROWS) */
  maxRows: number;
  /** features in one row (SERVE_MAX_FEATURES) */
  maxFeatures: number;
  /** characters in a feature value or a feature name (SERVE_MAX_VALUE_LENGTH) */
  maxValueLength: number;
}

/** An entity id's longest form (a Redis key and a SQL parameter). */
export const MAX_ENTITY_ID_LENGTH = 256;

export function predictBodySchema(l: BodyLimits) {
  const featureValue = { type: ['string', 'number', 'boolean', 'null'], maxLength: l.maxValueLength };
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      rows: {
        type: 'array',
        minItems: 1,
        maxItems: l.maxRows,
        items: {
          type: 'object',
          maxProperties: l.maxFeatures,
          propertyNames: { maxLength: l.maxValueLength },
          additionalProperties: featureValue,
        },
      },
      entities: {
        type: 'array',
        minItems: 1,
        maxItems: l.maxRows,
        items: { type: 'string', minLength: 1, maxLength: MAX_ENTITY_ID_LENGTH },
      },
    },
    oneOf: [{ required: ['rows'] }, { required: ['entities'] }],
  };
}

/** What a bound refused: the answer's status, field and value. */
export interface BoundRefusal {
  status: 400 | 413;
  field: string;
  value: number | null;
  message: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Counts, without parsing, the members of the body's containers: the list under a top-level key (the
 * rows or entities, depth 2) and each of its elements (a row's features, depth 3); nothing may nest
 * deeper, since feature values are scalars. Linear, allocation-free but for the key's name. Text
 * that is not JSON passes (JSON.parse refuses it next); so do bounds it cannot see.
 */
export function scanBounds(text: string, l: BodyLimits): BoundRefusal | undefined {
  let depth = 0;
  let inString = false;
  let keyStart = 0;
  let keyEnd = 0;
  let key = '';
  let items = 0; // commas in the depth-2 container so far
  let members = 0; // commas in the current depth-3 container
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        inString = false;
        if (depth === 1) keyEnd = i;
      }
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      if (depth === 1) keyStart = i + 1;
    } else if (c === COMMA) {
      if (depth === 2) items++;
      else if (depth === 3) members++;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2) {
        key = keyEnd > keyStart ? text.slice(keyStart, keyEnd) : 'body';
        items = 0;
      } else if (depth === 3) members = 0;
      else if (depth > 3)
        return {
          status: 400,
          field: `${key}[${items}]`,
          value: null,
          message: `${key}[${items}] holds an object or an array: a feature value is a string, number, boolean or null`,
        };
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      // n commas separate n + 1 members (an empty container, too few to matter, counts as one)
      if (depth === 2 && items >= l.maxRows)
        return {
          status: 413,
          field: key,
          value: items + 1,
          message: `${items + 1} ${key} in one request; at most ${l.maxRows} (SERVE_MAX_ROWS)`,
        };
      if (depth === 3 && members >= l.maxFeatures)
        return {
          status: 413,
          field: `${key}[${items}]`,
          value: members + 1,
          message: `${key}[${items}] has ${members + 1} features; at most ${l.maxFeatures} (SERVE_MAX_FEATURES)`,
        };
      depth--;
    }
  }
  return undefined;
}
