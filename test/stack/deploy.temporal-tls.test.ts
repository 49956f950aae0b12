/**
 * A TLS-secured Temporal, for real: nginx (started here on a free port, not by the stack) terminates
 * TLS with a certificate of a CA that openssl makes here, in front of the dev server. The worker, a
 * client, the container healthcheck and the CLI commands (`npm run temporal`, `version-check`)
 * connect through it with the TEMPORAL_TLS_* variables and with a temporal.toml profile; with the
 * wrong CA each fails, saying that the certificate was refused and which variable to check.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client';
import { loadConfig, projectRoot } from '../../src/config';
import { connectClientConnection } from '../../src/temporal-connection';
import { stackHealth } from '../../src/workflows/stack-health';
import { killWorkerProcess, spawnWorkerProcess, trainingQueueOf, uniqueName } from '../helpers/temporal';
import { startTlsTemporalProxy, type TlsTemporalProxy } from '../helpers/tls-proxy';

let proxy: TlsTemporalProxy;
/** the TEMPORAL_* variables of a TLS endpoint with a private CA, as an operator sets them */
let tlsEnv: Record<string, string>;
let wrongCaEnv: Record<string, string>;

/** The test's environment without any TEMPORAL_* connection setting, so only what a case sets counts. */
function baseEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && !/^TEMPORAL_(ADDRESS|NAMESPACE|TLS|API_KEY|PROFILE|CONFIG_FILE)/.test(e[0]),
    ),
  );
}

function run(command: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(command, args, {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...baseEnv(), ...env },
    timeout: 120_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}
const temporalCli = (args: string[], env: Record<string, string>) =>
  run('npm', ['run', '-s', 'temporal', '--', ...args], env);
const healthcheck = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', join('src', 'deploy', 'worker-healthcheck.ts')], env);
const versionCheck = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', join('src', 'cli', 'index.ts'), 'version-check', '--json'], env);

beforeAll(async () => {
  proxy = await startTlsTemporalProxy(loadConfig().temporal.address);
  tlsEnv = {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: proxy.caPath,
    TEMPORAL_TLS_SERVER_NAME: proxy.serverName,
  };
  wrongCaEnv = { ...tlsEnv, TEMPORAL_TLS_SERVER_CA_CERT_PATH: proxy.wrongCaPath };
}, 240_000);

afterAll(async () => {
  await proxy?.stop();
});

describe('Temporal behind TLS with a private CA', () => {
  it('the endpoint speaks TLS only: a plaintext client is refused', async () => {
    const plain = loadConfig({ TEMPORAL_ADDRESS: proxy.address }).temporal;
    await expect(connectClientConnection(plain, { connectTimeoutMs: 3000 })).rejects.toThrow(
      /cannot connect to Temporal at 127\.0\.0\.1:\d+, namespace default, plaintext/,
    );
  });

  it('a worker, a client, the healthcheck and the CLI commands all connect through it (TEMPORAL_TLS_* variables)', async () => {
    const taskQueue = uniqueName('tq-tls');
    const worker = await spawnWorkerProcess(taskQueue, tlsEnv);
    const { client, close } = await connectTemporal(loadConfig({ ...baseEnv(), ...tlsEnv }));
    try {
      const workflowId = uniqueName('stack-health-tls');
      const result = await client.workflow.execute(stackHealth, {
        taskQueue,
        workflowId,
        args: [{ requestedBy: 'tls test' }],
      });
      expect(result.components.map((c) => c.component).sort()).toEqual(['h2o', 'postgres', 'redis']);

      const health = healthcheck({
        ...tlsEnv,
        TEMPORAL_TASK_QUEUE: taskQueue,
        TRAINING_TASK_QUEUE: trainingQueueOf(taskQueue),
      });
      expect(health.status, health.out).toBe(0);
      expect(health.out).toContain(`polled task queue ${taskQueue}`);

      const described = temporalCli(['workflow', 'describe', '--workflow-id', workflowId], tlsEnv);
      expect(described.status, described.out).toBe(0);
      expect(described.out).toMatch(/Status\s+COMPLETED/);

      const versions = versionCheck(tlsEnv);
      const temporal = (
        JSON.parse(versions.out.slice(versions.out.indexOf('{'))) as {
          checks: Array<{ component: string; ok: boolean; address: string }>;
        }
      ).checks.find((c) => c.component === 'temporal');
      expect(temporal, versions.out).toMatchObject({ ok: true, address: proxy.address });
    } finally {
      await close();
      await killWorkerProcess(worker);
    }
    // and all of it went through nginx: the worker's polls and completions (activities are eagerly
    // dispatched, so no activity poll is needed), the client's start, the healthcheck's describe
    const methods = proxy.proxiedMethods().map((line) => line.split('/').at(-1)!);
    for (const method of [
      'PollWorkflowTaskQueue 200',
      'RespondActivityTaskCompleted 200',
      'StartWorkflowExecution 200',
      'DescribeTaskQueue 200',
      'DescribeWorkflowExecution 200',
      'GetSystemInfo 200',
    ]) {
      expect(methods, method).toContain(method);
    }
  });

  it('a temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) works for the client and the CLI alike', async () => {
    const file = join(proxy.dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "127.0.0.1:1"',
        '',
        '[profile.secure]',
        `address = "${proxy.address}"`,
        'namespace = "default"',
        '',
        '[profile.secure.tls]',
        `server_ca_cert_path = "${proxy.caPath}"`,
        `server_name = "${proxy.serverName}"`,
        '',
      ].join('\n'),
    );
    const profileEnv = { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'secure' };
    const cfg = loadConfig({ ...baseEnv(), ...profileEnv });
    expect(cfg.temporal.address).toBe(proxy.address);
    const connection = await connectClientConnection(cfg.temporal);
    try {
      const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
    const cli = temporalCli(['operator', 'namespace', 'describe'], profileEnv);
    expect(cli.status, cli.out).toBe(0);
    expect(cli.out).toMatch(/NamespaceInfo\.Name\s+default/);
    // a profile the file does not have is a configuration error naming the variable
    expect(() => loadConfig({ ...baseEnv(), TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })).toThrow(
      /TEMPORAL_PROFILE="nope" is invalid/,
    );
  });

  it('with the wrong CA every entry point fails and says the certificate was refused and what to check', async () => {
    const cfg = loadConfig({ ...baseEnv(), ...wrongCaEnv });
    await expect(connectTemporal(cfg)).rejects.toThrow(
      /TLS handshake failed: .*certificate.*TEMPORAL_TLS_SERVER_CA_CERT_PATH must name the CA that signed it/,
    );

    await expect(spawnWorkerProcess(uniqueName('tq-tls-bad'), wrongCaEnv)).rejects.toThrow(
      /UnknownIssuer[\s\S]*TEMPORAL_TLS_SERVER_CA_CERT_PATH must name the CA/,
    );

    const health = healthcheck(wrongCaEnv);
    expect(health.status).toBe(1);
    expect(health.out).toMatch(
      /^unhealthy: cannot connect to Temporal .*TLS with CA .*wrong-ca\.crt.*TLS handshake failed/,
    );

    const versions = versionCheck(wrongCaEnv);
    expect(versions.status).toBe(2);
    expect(versions.out).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH must name the CA');

    const cli = temporalCli(['operator', 'namespace', 'describe'], wrongCaEnv);
    expect(cli.status).not.toBe(0);
    expect(cli.out).toContain('cannot verify server TLS certificate');
  });
});
