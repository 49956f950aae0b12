/**
 * .github/workflows/ci.yml: valid against the GitHub workflow schema that check-jsonschema ships and
 * clean under actionlint (both installed on first use by test/helpers/registry-tools.ts), and doing
 * what the deployment issue asks: install, type-check, tests with the stack, the Dockerfile scanner,
 * the version check, and a docker build of every Dockerfile in docker/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { actionlint, checkJsonschema, runTool, type Tool } from '../helpers/registry-tools';

interface Step {
  uses?: string;
  run?: string;
  name?: string;
}
interface Job {
  steps: Step[];
  strategy?: { matrix?: { include?: Array<Record<string, string>> } };
}

const workflowFile = join('.github', 'workflows', 'ci.yml');
const text = readFileSync(join(projectRoot, workflowFile), 'utf8');
const workflow = parse(text) as { jobs: Record<string, Job> };
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? '').join('\n');

/** A copy of the workflow, changed by `change`, in a fresh folder laid out as a repository; returns that folder. */
function brokenCopy(change: (w: { jobs: Record<string, Record<string, unknown>> }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'ci-workflow-'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  const copy = structuredClone(workflow) as unknown as { jobs: Record<string, Record<string, unknown>> };
  change(copy);
  writeFileSync(join(dir, workflowFile), stringify(copy));
  return dir;
}

describe('.github/workflows/ci.yml', () => {
  let schemaChecker: Tool;
  let linter: Tool;
  beforeAll(() => {
    schemaChecker = checkJsonschema();
    linter = actionlint();
  }, 300_000);
  const checkSchema = (cwd: string) =>
    runTool(schemaChecker, ['--builtin-schema', 'vendor.github-workflows', workflowFile], cwd);
  const lint = (cwd: string) => runTool(linter, ['-no-color', workflowFile], cwd);

  it('validates against the GitHub workflow schema (check-jsonschema)', () => {
    const out = checkSchema(projectRoot);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    // the schema does catch mistakes, by name: a job without runs-on
    const dir = brokenCopy((w) => {
      delete w.jobs.compose!['runs-on'];
    });
    const broken = checkSchema(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/\$\.jobs\.compose: .*'runs-on'/);
  });

  it('passes actionlint', () => {
    const out = lint(projectRoot);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    // which reads the expressions too: a matrix key the job does not define
    const dir = brokenCopy((w) => {
      const build = (w.jobs.images!.steps as Step[]).find((s) => s.run?.startsWith('docker build'))!;
      build.run = build.run!.replace('matrix.dockerfile', 'matrix.dockerfil');
    });
    const broken = lint(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toContain('dockerfil');
  });

  it('installs, type-checks, runs the tests with the stack, scans the Dockerfiles and checks versions', () => {
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run typecheck/);
    expect(runs).toMatch(/bash \.ci\/run/);
    expect(runs).toMatch(/npm run -s scan -- --failure-threshold info docker\//);
    expect(runs).toMatch(/npm run -s version-check/);
    const order = ['npm ci', 'npm run typecheck', 'bash .ci/run', 'npm run -s version-check'].map((s) =>
      runs.indexOf(s),
    );
    expect([...order].sort((a, b) => a - b)).toEqual(order); // the version check needs the stack .ci/run started
  });

  it('builds every Dockerfile in docker/', () => {
    const built = Object.values(workflow.jobs)
      .flatMap((j) => j.strategy?.matrix?.include ?? [])
      .map((m) => m.dockerfile);
    const dockerfiles = readdirSync(join(projectRoot, 'docker'))
      .filter((f) => f.startsWith('Dockerfile'))
      .map((f) => `docker/${f}`);
    expect(built.sort()).toEqual(dockerfiles.sort());
    expect(runs).toMatch(/docker build --file \$\{\{ matrix\.dockerfile \}\}/);
  });

  it('pins every action to a version', () => {
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@v\d+(\.\d+)*$/);
  });
});
