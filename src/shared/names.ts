/**
 * The names users give things, each with the one rule it must follow. Names end up in workflow ids,
 * H2O ids, Redis keys and SQL parameters, so every entry point (a workflow input, a source file,
 * models.yaml, the CLI) checks them with these schemas and nothing else.
 */
import { matching, text } from './validation';

/** A source: names its watermark, dead letters, rate limit and `<name>.json` file. */
export const SOURCE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
export const sourceName = matching(
  SOURCE_NAME,
  'a source name: lowercase letters, digits, _ and -, starting with a letter, at most 63 characters',
);

/** A model of the registry: part of workflow ids (`retrain-<model>`) and schedule ids. */
export const MODEL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const modelName = matching(
  MODEL_NAME,
  'a model name: a letter, then letters, digits, _ or -, at most 63 characters',
);

/** A feature set of the feature store. */
export const FEATURE_SET_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const featureSetName = matching(
  FEATURE_SET_NAME,
  'a feature set name: a letter, then letters, digits, _ or -, at most 63 characters',
);

/** A model spec within a training run: part of H2O ids, so no '.'. */
export const SPEC_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const specName = matching(SPEC_NAME, 'a spec name: letters, digits, _ and -, at most 64 characters');

/** A feature declared in a source mapping (a key of the stored JSONB). */
export const DECLARED_FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const declaredFeatureName = matching(DECLARED_FEATURE_NAME, 'a feature name of letters, digits and _');

/** A feature key as stored (featuresPath sources keep the source's own keys): any non-empty text. */
export const featureKey = text('a non-empty feature name');

/** An environment variable that holds a secret on the worker. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const envName = matching(ENV_NAME, 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
export const headerName = matching(HEADER_NAME, 'a valid HTTP header name');

/** Header names that must never carry a literal value: it would be stored in workflow history. */
export const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie|password/i;

/**
 * A query parameter a source reads: any name a URL can carry (`$skip`, `page[size]`, `filter.since`);
 * only `&`, `=`, `#`, whitespace and control characters, which would change the query's structure, are refused.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
export const QUERY_PARAM = /^[^\s&=#\u0000-\u001f\u007f]{1,100}$/;
export const queryParam = matching(
  QUERY_PARAM,
  'a query parameter name (no spaces, &, = or #; at most 100 characters)',
);

/** Query parameter names that must never carry a literal value in `url`: it would be stored in workflow history. */
export const SECRET_PARAM =
  /^(?:key|token|sig|signature|auth|apikey|access[-_]?token|auth[-_]?token|password|passwd|pwd)$|api[-_]?key|secret|password|access[-_]?token/i;
