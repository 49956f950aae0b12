import { describe, expect, it } from 'vitest';
import { checkH2OVersion, compareVersions } from '../../src/h2o/version';

describe('checkH2OVersion', () => {
  it('accepts the pinned version', () => {
    const check = checkH2OVersion('3.46.0.11', '3.46.0.11');
    expect(check).toMatchObject({ verdict: 'match', ok: true });
  });

  it('flags an older cluster and says what to upgrade to', () => {
    const check = checkH2OVersion('3.44.0.3', '3.46.0.11');
    expect(check).toMatchObject({ verdict: 'older', ok: false });
    expect(check.message).toContain('3.46.0.11');
  });

  it('flags 3.46.0.12 and later as MOJO-gated builds, even when pinned to them', () => {
    for (const actual of ['3.46.0.12', '3.46.0.13', '3.48.0.1']) {
      const check = checkH2OVersion(actual, '3.46.0.11');
      expect(check.verdict).toBe('gated');
      expect(check.ok).toBe(false);
      expect(check.message).toMatch(/MOJO-gated/);
      expect(check.message).toContain(actual);
    }
    expect(checkH2OVersion('3.46.0.12', '3.46.0.12').verdict).toBe('gated');
  });

  it('reports a version string it cannot read instead of guessing', () => {
    const check = checkH2OVersion('3.46.0.99999-dev', '3.46.0.11');
    expect(check).toMatchObject({ verdict: 'unparseable', ok: false });
    expect(check.message).toContain('"3.46.0.99999-dev"');
  });

  it('compares versions part by part, not as strings', () => {
    expect(compareVersions('3.46.0.9', '3.46.0.11')).toBeLessThan(0);
    expect(compareVersions('3.46.0.11', '3.46.0.11')).toBe(0);
  });
});
