/**
 * The Dockerfile scanner, rule by rule: each rule has a fixture that fires it and a fixed version that
 * does not (dockerfile-scanner/test/fixtures/dockerfiles/<rule>.{bad,good}.Dockerfile). Also: inline ignores, the
 * output formats (the CLI's SARIF validated against the 2.1.0 schema by check-jsonschema), exit codes, and the project's own
 * Dockerfiles scanning clean.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJsonschema, runTool, sarifSchema } from '../../test/helpers/registry-tools';
import { runScan } from '../src/cli';
import { formatJson } from '../src/format';
import { RULES } from '../src/rules';
import { shellcheckAvailable } from '../src/rules/shellcheck';
import { scanDockerfile } from '../src/scan';

/** The repository root (docs/, docker/): two folders above this test folder. */
const repoRoot = join(__dirname, '..', '..');
const fixtures = join(__dirname, 'fixtures', 'dockerfiles');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const rulesIn = async (file: string, text: string) => (await scanDockerfile(file, text)).map((f) => f.rule);

/** Runs the CLI in-process and returns its exit code and output. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runScan(args, (t) => {
    out += t;
  });
  return { code, out };
}

describe('every rule has a firing and a non-firing fixture', () => {
  it('covers all rules, and nothing else', async () => {
    const names = readdirSync(fixtures).filter((f) => f.endsWith('.Dockerfile'));
    const covered = new Set(names.map((n) => n.replace(/\.(bad|good)\.Dockerfile$/, '')));
    expect([...covered].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES) {
    // ShellCheck is optional: without the binary its rule reports nothing, by design
    it.skipIf(rule.id === 'shellcheck' && !shellcheckAvailable())(
      `${rule.id}: fires on the bad fixture, not on the good one`,
      async () => {
        expect(await rulesIn(`${rule.id}.bad.Dockerfile`, read(`${rule.id}.bad.Dockerfile`))).toContain(rule.id);
        expect(await rulesIn(`${rule.id}.good.Dockerfile`, read(`${rule.id}.good.Dockerfile`))).not.toContain(rule.id);
      },
    );
  }

  it('every rule has an id, severity, title, fix hint and unique id', async () => {
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z][a-z0-9-]+$/);
      expect(['error', 'warning', 'info', 'style']).toContain(r.severity);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.fix.length).toBeGreaterThan(10);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it("docs/DEPLOY.md's rule table lists every rule, with its level and hadolint alias, and nothing else", async () => {
    const docs = readFileSync(join(repoRoot, 'docs', 'DEPLOY.md'), 'utf8');
    const table = docs.slice(docs.indexOf('<!-- rule-table'));
    const rows = [...table.matchAll(/^\| `([a-z0-9-]+)` \| (\w+) \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => ({
      id: m[1],
      severity: m[2],
      hadolint: m[3]!.trim() === '—' ? [] : m[3]!.trim().split(/,\s*/),
      other: m[4]!.trim() === '—' ? [] : m[4]!.trim().split(/,\s*/),
    }));
    expect(rows).toEqual(
      RULES.map((r) => ({
        id: r.id,
        severity: r.severity,
        hadolint: r.aliases.filter((a) => /^DL\d{4}$/.test(a)),
        other: r.aliases.filter((a) => !/^DL\d{4}$/.test(a)),
      })),
    );
  });
});

describe('findings', () => {
  it('point at the instruction (1-based line and column) and name what they saw', async () => {
    const text =
      'FROM debian:12.11-slim\nUSER nobody\nHEALTHCHECK CMD ["true"]\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n';
    const [finding] = await scanDockerfile('Dockerfile', text);
    expect(finding).toMatchObject({ rule: 'apt-unpinned', severity: 'warning', line: 4, column: 1 });
    expect(finding!.message).toContain('curl');
  });

  it('a file without FROM is reported, not silently passed', async () => {
    expect(await rulesIn('x', 'RUN echo hi\n')).toContain('no-from');
  });
});

describe('inline ignore comments', () => {
  const bad =
    'FROM debian:12.11-slim\nUSER nobody\nHEALTHCHECK CMD ["true"]\n{comment}RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n';

  it('`# scan ignore=<id>` on the line above silences that rule for that instruction only', async () => {
    expect(await rulesIn('f', bad.replace('{comment}', '# scan ignore=apt-unpinned\n'))).toEqual([]);
    expect(await rulesIn('f', bad.replace('{comment}', '# scan ignore=apt-recommends\n'))).toEqual(['apt-unpinned']);
  });

  it('hadolint spelling and codes work too (`# hadolint ignore=DL3008`), in a comment block above', async () => {
    expect(
      await rulesIn(
        'f',
        bad.replace('{comment}', '# hadolint ignore=DL3015,DL3008\n# why: pinned by the base image\n'),
      ),
    ).toEqual([]);
  });

  it('a blank line breaks the link between comment and instruction', async () => {
    expect(await rulesIn('f', bad.replace('{comment}', '# scan ignore=apt-unpinned\n\n'))).toEqual(['apt-unpinned']);
  });

  it('--ignore skips a rule everywhere, and an unknown id is refused by name', async () => {
    const file = join(fixtures, 'sudo.bad.Dockerfile');
    expect((await cli([file, '--ignore', 'DL3004'])).code).toBe(0);
    await expect(cli([file, '--ignore', 'no-such-rule'])).rejects.toThrow(/--ignore="no-such-rule"/);
  });
});

describe('output formats and exit codes', () => {
  const bad = join(fixtures, 'curl-pipe-shell.bad.Dockerfile');
  const infoOnly = join(fixtures, 'missing-healthcheck.bad.Dockerfile');

  it('JSON is hadolint-shaped: [{file, line, column, level, code, message}]', async () => {
    const findings = await scanDockerfile('a/Dockerfile', read('expose-ssh.bad.Dockerfile'));
    const json = JSON.parse(formatJson([{ file: 'a/Dockerfile', findings }])) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({ file: 'a/Dockerfile', line: 3, column: 1, level: 'error', code: 'expose-ssh' });
    expect(typeof json[0]!.message).toBe('string');
  });

  it('SARIF validates against the SARIF 2.1.0 schema (check-jsonschema) and references its rules', async () => {
    // the schema from Microsoft's SARIF SDK on npm; its `language` pattern has a stray `]`, valid only outside unicode mode
    const tmp = mkdtempSync(join(tmpdir(), 'sarif-'));
    const validate = (file: string) =>
      runTool(checkJsonschema(), ['--regex-variant', 'nonunicode', '--schemafile', sarifSchema(), file], tmp);
    try {
      expect((await cli([bad, '--format', 'sarif', '--output', join(tmp, 'scan.sarif'), '--no-fail'])).code).toBe(0);
      const out = validate('scan.sarif');
      expect(out.status, out.stdout + out.stderr).toBe(0);
      const sarif = JSON.parse(readFileSync(join(tmp, 'scan.sarif'), 'utf8')) as {
        version: string;
        runs: Array<{
          results: Array<{ ruleId: string; ruleIndex: number; level: string }>;
          tool: { driver: { rules: Array<{ id: string }> } };
        }>;
      };
      expect(sarif.version).toBe('2.1.0');
      const run = sarif.runs[0]!;
      const result = run.results.find((r) => r.ruleId === 'curl-pipe-shell')!;
      expect(result.level).toBe('error');
      expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe('curl-pipe-shell');
      // and the schema does refuse a malformed log, by name: a level SARIF lacks, a run without its tool
      const broken = structuredClone(sarif) as unknown as {
        runs: Array<{ results: Array<{ level: string }>; tool?: unknown }>;
      };
      broken.runs[0]!.results[0]!.level = 'fatal';
      delete broken.runs[0]!.tool;
      writeFileSync(join(tmp, 'broken.sarif'), JSON.stringify(broken));
      const refused = validate('broken.sarif');
      expect(refused.status).not.toBe(0);
      expect(refused.stdout).toContain("$.runs[0].results[0].level: 'fatal' is not one of");
      expect(refused.stdout).toContain("$.runs[0]: 'tool' is a required property");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  it('exits 1 at or above the threshold, 0 below it, 0 with --no-fail', async () => {
    expect((await cli([bad])).code).toBe(1);
    expect((await cli([infoOnly])).code).toBe(0); // default threshold: warning; info is advice
    expect((await cli([infoOnly, '--failure-threshold', 'info'])).code).toBe(1);
    expect((await cli([infoOnly, '-t', 'style'])).code).toBe(1);
    expect((await cli([bad, '--failure-threshold', 'error'])).code).toBe(1);
    expect((await cli([bad, '--no-fail'])).code).toBe(0);
    expect((await cli([bad, '--failure-threshold=none', '--format=json'])).code).toBe(0);
  });

  it('rejects bad arguments by name', async () => {
    await expect(cli([bad, '--format', 'xml'])).rejects.toThrow(/--format="xml"/);
    await expect(cli([bad, '--failure-threshold', 'fatal'])).rejects.toThrow(/--failure-threshold="fatal"/);
    await expect(cli(['/no/such/Dockerfile'])).rejects.toThrow(/path="\/no\/such\/Dockerfile"/);
    await expect(cli([])).rejects.toThrow(/at least one Dockerfile/);
  });
});

describe("the project's own Dockerfiles", () => {
  it('scan clean at the strictest threshold (this is what CI runs)', async () => {
    const { code, out } = await cli([join(repoRoot, 'docker'), '--failure-threshold', 'style']);
    expect(out).toContain('4 Dockerfile(s) scanned, no findings');
    expect(code).toBe(0);
  });

  it('the one deliberate exception is an inline, explained ignore in the form hadolint reads too (PGDG keeps only the newest build)', async () => {
    const text = readFileSync(join(repoRoot, 'docker', 'Dockerfile.postgres'), 'utf8');
    expect(text).toMatch(/# hadolint ignore=DL3008\n/);
    expect(await rulesIn('Dockerfile.postgres', text.replace('# hadolint ignore=DL3008\n', ''))).toEqual([
      'apt-unpinned',
    ]);
  });
});
