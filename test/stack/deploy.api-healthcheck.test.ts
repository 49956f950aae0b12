/**
 * The api image's HEALTHCHECK (src/deploy/api-healthcheck.ts, run as a script the way Docker runs it)
 * against the real inference service: exit 0 once /readyz is 200, exit 1 with the model that is not
 * ready while a declared model has no production version, exit 1 when nothing listens.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { probeUrl } from '../../src/deploy/api-healthcheck';
import { startService, type TestService } from '../helpers/serve';
import { uniqueName } from '../helpers/temporal';

const script = join(projectRoot, 'src', 'deploy', 'api-healthcheck.ts');
/** Asynchronous: the service runs in this process, and a spawnSync would stop it from answering. */
function runScript(env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const portOf = (svc: TestService) => new URL(svc.url).port;
const services: TestService[] = [];

afterAll(async () => {
  for (const s of services) await s.close();
});

async function readyStatus(svc: TestService): Promise<number> {
  return (await fetch(`${svc.url}/readyz`)).status;
}

describe('api healthcheck', () => {
  it('probes a wildcard listen address on loopback', () => {
    expect(probeUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080/readyz');
    expect(probeUrl('::', 8080)).toBe('http://[::1]:8080/readyz');
    expect(probeUrl('10.0.0.5', 9000)).toBe('http://10.0.0.5:9000/readyz');
  });

  it('is healthy once the service is ready (SERVE_HOST=0.0.0.0 as in the image)', async () => {
    const svc = await startService({ declared: [] });
    services.push(svc);
    for (let i = 0; (await readyStatus(svc)) !== 200; i++) {
      if (i > 100) throw new Error('the service never became ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = await runScript({ SERVE_HOST: '0.0.0.0', SERVE_PORT: portOf(svc) });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('/readyz: 200');
  });

  it('is unhealthy, naming the model, while a declared model has no production version', async () => {
    const model = uniqueName('hc-missing').replace(/-/g, '_');
    const svc = await startService({ declared: [model] });
    services.push(svc);
    const bad = await runScript({ SERVE_HOST: '127.0.0.1', SERVE_PORT: portOf(svc) });
    expect(bad.status, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toContain('/readyz: 503');
    expect(bad.stdout).toContain(model);
  });

  it('is unhealthy when nothing listens (exit 1)', async () => {
    const down = await runScript({ SERVE_HOST: '127.0.0.1', SERVE_PORT: '9' });
    expect(down.status).toBe(1);
    expect(down.stdout).toMatch(/^unhealthy:/);
  });
});
