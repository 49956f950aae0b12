/**
 * .github/workflows/ci.yml: valid against SchemaStore's GitHub workflow schema (vendored, offline),
 * and doing what the deployment issue asks: install, type-check, tests with the stack, the Dockerfile
 * scanner, the version check, and a docker build of every Dockerfile in docker/.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';

interface Step { uses?: string; run?: string; name?: string }
interface Job { steps: Step[]; strategy?: { matrix?: { include?: Array<Record<string, string>> } } }

const text = readFileSync(join(projectRoot, '.github', 'workflows', 'ci.yml'), 'utf8');
const workflow = parse(text) as { jobs: Record<string, Job> };
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? '').join('\n');

describe('.github/workflows/ci.yml', () => {
  it('validates against the GitHub workflow JSON schema', () => {
    const schema = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'schemas', 'github-workflow.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(workflow), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
    // the schema does catch mistakes: a job without runs-on, a step with both uses and run
    expect(validate({ on: 'push', jobs: { x: { steps: [{ run: 'true' }] } } })).toBe(false);
    expect(validate({ on: 'push', jobs: { x: { 'runs-on': 'ubuntu-24.04', steps: [{ run: 'true', uses: 'actions/checkout@v4' }] } } })).toBe(false);
  });

  it('installs, type-checks, runs the tests with the stack, scans the Dockerfiles and checks versions', () => {
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run typecheck/);
    expect(runs).toMatch(/bash \.ci\/run/);
    expect(runs).toMatch(/npm run -s scan -- --failure-threshold info docker\//);
    expect(runs).toMatch(/npm run -s version-check/);
    const order = ['npm ci', 'npm run typecheck', 'bash .ci/run', 'npm run -s version-check'].map((s) => runs.indexOf(s));
    expect([...order].sort((a, b) => a - b)).toEqual(order); // the version check needs the stack .ci/run started
  });

  it('builds every Dockerfile in docker/', () => {
    const built = Object.values(workflow.jobs).flatMap((j) => j.strategy?.matrix?.include ?? []).map((m) => m.dockerfile);
    const dockerfiles = readdirSync(join(projectRoot, 'docker')).filter((f) => f.startsWith('Dockerfile')).map((f) => `docker/${f}`);
    expect(built.sort()).toEqual(dockerfiles.sort());
    expect(runs).toMatch(/docker build --file \$\{\{ matrix\.dockerfile \}\}/);
  });

  it('pins every action to a version', () => {
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@v\d+(\.\d+)*$/);
  });
});
