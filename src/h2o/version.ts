/**
 * The H2O version check: the cluster must run the pinned release. 3.46.0.12 and later builds block
 * MOJO export in open source (HTTP 412 "H2O-3 ENTERPRISE REQUIRED"), which breaks the champion export,
 * so they are reported as gated rather than merely newer. Pure: no I/O, unit-tested on strings.
 */

/** First release that gates MOJO/POJO export (h2oai/h2o-3#16910). */
export const FIRST_MOJO_GATED_VERSION = '3.46.0.12';

export type H2OVersionVerdict = 'match' | 'older' | 'newer' | 'gated' | 'unparseable';

export interface H2OVersionCheck {
  verdict: H2OVersionVerdict;
  actual: string;
  expected: string;
  /** true when training and MOJO export can proceed */
  ok: boolean;
  message: string;
}

function parse(version: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return m ? m.slice(1).map(Number) : undefined;
}

/** Compares two four-part versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) throw new Error(`cannot compare versions ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export function checkH2OVersion(actual: string, expected: string): H2OVersionCheck {
  const base = { actual, expected };
  if (!parse(actual)) {
    return {
      ...base,
      verdict: 'unparseable',
      ok: false,
      message: `H2O reports version ${JSON.stringify(actual)}, which is not a release version; expected ${expected}`,
    };
  }
  if (compareVersions(actual, FIRST_MOJO_GATED_VERSION) >= 0) {
    return {
      ...base,
      verdict: 'gated',
      ok: false,
      message: `H2O ${actual} is a MOJO-gated build: ${FIRST_MOJO_GATED_VERSION} and later block MOJO export in open source (HTTP 412 "ENTERPRISE REQUIRED"); run ${expected} (pip h2o==${expected})`,
    };
  }
  const order = compareVersions(actual, expected);
  if (order === 0)
    return { ...base, verdict: 'match', ok: true, message: `H2O ${actual} matches the pinned ${expected}` };
  if (order < 0)
    return {
      ...base,
      verdict: 'older',
      ok: false,
      message: `H2O ${actual} is older than the pinned ${expected}; upgrade the cluster to ${expected}`,
    };
  return {
    ...base,
    verdict: 'newer',
    ok: false,
    message: `H2O ${actual} is newer than the pinned ${expected}; pin H2O_VERSION=${actual} only after testing it`,
  };
}
