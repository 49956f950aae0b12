/**
 * One fixture pair per root cause found by running the scanner beside hadolint on real Dockerfiles
 * (test/fixtures/cases/<cause>.{bad,good}.Dockerfile): what the bad one must report, and that the good
 * one does not. Directory mode runs on a tree this test writes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findDockerfiles } from '../src/cli';
import { shellcheckAvailable } from '../src/rules/shellcheck';
import { scanDockerfile } from '../src/scan';
import type { Finding } from '../src/types';

const cases = join(__dirname, 'fixtures', 'cases');
const scan = async (name: string): Promise<Finding[]> => scanDockerfile(name, readFileSync(join(cases, name), 'utf8'));
const rulesOf = (findings: Finding[], rules: string[]) => findings.filter((f) => rules.includes(f.rule));

/** cause → the findings (rule, line, message part) its bad fixture must give; the good one gives none of those rules. */
const CAUSES: Record<string, Array<{ rule: string; line: number; says: string }>> = {
  'comment-in-run': [{ rule: 'apt-unpinned', line: 4, says: 'apt-get install curl procps without versions' }],
  'shell-syntax': [
    { rule: 'pipe-without-pipefail', line: 3, says: '`uname | tr`' },
    { rule: 'pip-unpinned', line: 4, says: 'unquoted `>=2.32` is a shell redirect' },
  ],
  'arg-stage': [{ rule: 'untagged-image', line: 3, says: 'FROM ${BASE_IMAGE} (node) has no tag' }],
  duplicates: [
    {
      rule: 'apt-unpinned',
      line: 3,
      says: 'apt-get install curl without versions; apt-get install wget without versions',
    },
  ],
  messages: [{ rule: 'untagged-image', line: 5, says: 'FROM ${REGISTRY}/python has no tag' }],
  'pip-options': [
    { rule: 'pip-no-cache', line: 3, says: 'pip install keeps its download cache' },
    { rule: 'pip-unpinned', line: 4, says: 'pipx install black without versions' },
  ],
  'copy-chmod': [{ rule: 'world-writable', line: 3, says: 'COPY --chmod=777' }],
  onbuild: [{ rule: 'apt-unpinned', line: 3, says: 'apt-get install curl without versions' }],
  'hadolint-ignore': [
    { rule: 'apt-unpinned', line: 4, says: 'curl' },
    { rule: 'secret-env-name', line: 5, says: 'ARG API_TOKEN' },
  ],
};

describe('each root cause: the bad fixture reports it, the good one does not', () => {
  for (const [cause, expected] of Object.entries(CAUSES)) {
    const rules = [...new Set(expected.map((e) => e.rule))];
    it(cause, async () => {
      const bad = rulesOf(await scan(`${cause}.bad.Dockerfile`), rules);
      expect(bad.map((f) => [f.rule, f.line])).toEqual(expected.map((e) => [e.rule, e.line]));
      bad.forEach((f, n) => expect(f.message).toContain(expected[n]!.says));
      expect(rulesOf(await scan(`${cause}.good.Dockerfile`), rules)).toEqual([]);
    });
  }

  it('no rule reports twice on one line, and no message ends in a colon or spans lines', async () => {
    const { readdirSync } = await import('node:fs');
    for (const dir of [cases, join(__dirname, 'fixtures', 'dockerfiles')]) {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.Dockerfile'))) {
        const findings = await scanDockerfile(name, readFileSync(join(dir, name), 'utf8'));
        const keys = findings.map((f) => `${f.rule}:${f.line}:${f.message.match(/^SC\d+/)?.[0] ?? ''}`);
        expect(new Set(keys).size, name).toBe(keys.length);
        for (const f of findings) expect(f.message, name).toMatch(/^[^\n]*[^:\s]$/);
      }
    }
  });

  it.skipIf(!shellcheckAvailable())(
    '`# hadolint ignore=SC2006` silences that ShellCheck code on that RUN only',
    async () => {
      const text = readFileSync(join(cases, 'shell-syntax.good.Dockerfile'), 'utf8');
      expect((await scanDockerfile('f', text)).filter((f) => f.rule === 'shellcheck')).toEqual([]);
      const unignored = (await scanDockerfile('f', text.replace('# hadolint ignore=SC2006\n', ''))).filter(
        (f) => f.rule === 'shellcheck',
      );
      expect(unignored.map((f) => [f.line, f.severity, f.message.slice(0, 7)])).toEqual([[3, 'style', 'SC2006:']]); // the RUN moves up a line
    },
  );

  it('the good fixtures are clean at the default threshold (warning)', async () => {
    for (const cause of Object.keys(CAUSES)) {
      const failing = (await scan(`${cause}.good.Dockerfile`)).filter(
        (f) => f.severity === 'error' || f.severity === 'warning',
      );
      expect(failing, cause).toEqual([]);
    }
  });
});

describe('directory mode', () => {
  const root = mkdtempSync(join(tmpdir(), 'scan-dir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const files = {
    found: [
      'Dockerfile',
      'Containerfile',
      'Dockerfile.worker',
      'Dockerfile-dev',
      'api.Dockerfile',
      'web.dockerfile',
      'tools/BUILD.DOCKERFILE',
      'dockerfile',
      '.gitpod.Dockerfile',
      '.devcontainer/Dockerfile',
      'svc/Dockerfile.prod',
    ],
    skipped: [
      'Dockerfile.dockerignore',
      'api.Dockerfile.dockerignore',
      'Dockerfile.md',
      'README.md',
      'node_modules/pkg/Dockerfile',
      '.git/Dockerfile',
      '.cache/x.dockerfile',
      'dockerfiles.txt',
    ],
  };
  for (const f of [...files.found, ...files.skipped]) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), 'FROM debian:12.11-slim\n');
  }

  it('finds Dockerfile-*, *.dockerfile in any case, .devcontainer/ and .gitpod.Dockerfile; skips ignore files and other dot-folders', () => {
    expect(
      findDockerfiles([root])
        .map((p) => relative(root, p))
        .sort(),
    ).toEqual([...files.found].sort());
  });
});
