/**
 * Broken source definitions and the message each must fail with, named `definition.…` as a workflow
 * names an inline definition. Shared by the validator's unit test and the workflow test that proves a
 * run fails with the same message before any request.
 */
import type { SourceDefinition } from '../../src/shared/source-definition';

export const BAD_DEFINITIONS: Array<[label: string, breakIt: (d: SourceDefinition) => unknown, message: RegExp]> = [
  [
    'an unknown pagination style',
    (d) => ({ ...d, pagination: { style: 'token' } }),
    /^definition\.pagination\.style="token" is invalid: one of 'cursor', 'next-url', 'page', 'offset', 'link', 'auto'/,
  ],
  [
    'a page size of 0',
    (d) => ({ ...d, pageSize: 0 }),
    /^definition\.pageSize=0 is invalid: an integer from 1 to 100000/,
  ],
  ['a relative URL', (d) => ({ ...d, url: '/customers' }), /^definition\.url="\/customers" is invalid/],
  [
    'a feature type typo',
    (d) => ({ ...d, mapping: { ...d.mapping, features: { age: { path: 'age', type: 'int' } } } }),
    /^definition\.mapping\.features\.age\.type="int" is invalid/,
  ],
  ['a misspelt field', (d) => ({ ...d, pagesize: 10 }), /^definition\.pagesize=10 is invalid: not a known field/],
  [
    'a misspelt pagination field',
    (d) => ({ ...d, pagination: { style: 'cursor', cursorparam: 'c' } }),
    /^definition\.pagination\.cursorparam="c" is invalid: not a known field \(known: style, cursorParam/,
  ],
  [
    'a literal Authorization header',
    (d) => ({ ...d, headers: { Authorization: 'Bearer abc123' } }),
    /^definition\.headers\.Authorization="<redacted>" is invalid: a secret header must reference an environment variable, e.g. \{ "env": "SOURCE_SECRET_AUTHORIZATION" \}/,
  ],
  [
    'a bad variable name',
    (d) => ({ ...d, headers: { 'X-Api-Key': { env: 'API KEY' } } }),
    /^definition\.headers\.X-Api-Key\.env="API KEY" is invalid: an environment variable name/,
  ],
  [
    'no features at all',
    (d) => ({ ...d, mapping: { featureSet: d.mapping.featureSet, entityIdPath: 'id', eventTimePath: 't' } }),
    /^definition\.mapping\.features=undefined is invalid: declare features, featuresPath, or both/,
  ],
  [
    'a feature set name with a space',
    (d) => ({ ...d, mapping: { ...d.mapping, featureSet: 'my customers' } }),
    /^definition\.mapping\.featureSet="my customers" is invalid: a feature set name/,
  ],
  [
    'credentials in the URL',
    (d) => ({ ...d, url: 'http://user:abc123@127.0.0.1:9/customers' }),
    /^definition\.url="<redacted>" is invalid: a URL without user:password@; send credentials as a header, e\.g\. "headers": \{ "Authorization": \{ "env": "SOURCE_SECRET_/,
  ],
  [
    'an API key in the URL',
    (d) => ({ ...d, url: 'http://127.0.0.1:9/customers?status=active&api_key=abc123' }),
    /^definition\.url="<redacted>" is invalid: a URL without a secret in its query \(api_key=…\); declare it as "queryParams": \{ "api_key": \{ "env": "SOURCE_SECRET_API_KEY" \} \}/,
  ],
  [
    'a literal secret query parameter',
    (d) => ({ ...d, queryParams: { apikey: 'abc123' } }),
    /^definition\.queryParams\.apikey="<redacted>" is invalid: a secret query parameter must reference an environment variable/,
  ],
  [
    'two places for the next cursor',
    (d) => ({ ...d, pagination: { style: 'cursor', nextCursorPath: 'next', cursorHeader: 'X-Cursor' } }),
    /^definition\.pagination\.cursorHeader="X-Cursor" is invalid: only one place for the next cursor \(nextCursorPath is given too\)/,
  ],
  [
    'a next-url style without its path',
    (d) => ({ ...d, pagination: { style: 'next-url' } }),
    /^definition\.pagination\.nextUrlPath=undefined is invalid: a dotted path such as 'id' or 'profile\.age', or a JSON Pointer/,
  ],
  [
    'a rate limit of 0',
    (d) => ({ ...d, rateLimit: { requestsPerSecond: 0 } }),
    /^definition\.rateLimit\.requestsPerSecond=0 is invalid: a number from 0\.001 to 100000/,
  ],
];
