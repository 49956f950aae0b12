import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { describeTemporal, temporalConnectionOptions, TemporalConnectionError } from '../../src/temporal-connection';
import { ConfigError } from '../../src/shared/errors';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      uiPort: 8233,
      taskQueue: 'mlops',
      cliVersion: '1.9.1',
    });
    expect(c.postgres).toMatchObject({
      host: '127.0.0.1',
      port: 5432,
      user: 'mlops_worker',
      ownerUser: 'mlops',
      database: 'mlops',
    });
    expect(c.redis).toMatchObject({ host: '127.0.0.1', port: 6379, password: 'mlops' });
    expect(temporalConnectionOptions(c.temporal)).toEqual({ address: '127.0.0.1:7233' }); // plaintext, no key
    expect(c.h2o).toMatchObject({ url: 'http://127.0.0.1:54321', port: 54321, memoryMiB: 4096, version: '3.46.0.11' });
    expect(Object.isFrozen(c.h2o)).toBe(true);
  });

  it.each([
    ['TEMPORAL_ADDRESS', 'localhost'],
    ['TEMPORAL_UI_PORT', '70000'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['DATABASE_URL', 'postgresql://mlops@127.0.0.1:5432/'],
    ['REDIS_URL', 'not a url'],
    ['H2O_MEMORY', '4 gigs'],
    ['H2O_MEMORY', '100m'],
    ['H2O_VERSION', 'latest'],
    ['PG_POOL_MAX', '0'],
    ['MLOPS_STACK_TIMEOUT_S', 'ten'],
    ['MIGRATE_DATABASE_URL', 'mysql://x@y/z'],
  ])('rejects %s=%s naming the variable and the value', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
    expect((error as ConfigError).message).toContain(value.trim());
  });
});

describe('the Temporal connection settings (@temporalio/envconfig, as the temporal CLI reads them)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-envconfig-'));
  const toml = join(dir, 'temporal.toml');
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(
    toml,
    [
      '[profile.default]',
      'address = "default.example:7233"',
      '',
      '[profile.cloud]',
      'address = "ns.acct.tmprl.cloud:7233"',
      'namespace = "ns.acct"',
      'api_key = "secret-key-123"',
      '',
      '[profile.private]',
      'address = "temporal.internal:7233"',
      '[profile.private.tls]',
      `server_ca_cert_path = "${ca}"`,
      'server_name = "temporal.internal"',
      '',
    ].join('\n'),
  );

  it('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, without a file', () => {
    const t = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'ml' }).temporal;
    expect(t).toMatchObject({ address: 'temporal:7233', host: 'temporal', port: 7233, namespace: 'ml' });
    expect(describeTemporal(t)).toBe('temporal:7233, namespace ml, plaintext');
  });

  it('the default profile of TEMPORAL_CONFIG_FILE, and TEMPORAL_PROFILE picks another', () => {
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml }).temporal.address).toBe('default.example:7233');
    const cloud = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' }).temporal;
    expect(cloud).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', profileName: 'cloud' });
    // an API key turns TLS on (system CAs); it is sent, but never described
    expect(temporalConnectionOptions(cloud)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: 'secret-key-123',
    });
    expect(describeTemporal(cloud)).toBe(
      'ns.acct.tmprl.cloud:7233, namespace ns.acct, TLS (system CAs), API key, profile cloud',
    );
    expect(describeTemporal(cloud)).not.toContain('secret');
  });

  it('variables override the profile: address, namespace, API key, and TEMPORAL_TLS=false turns TLS off', () => {
    const t = loadConfig({
      TEMPORAL_CONFIG_FILE: toml,
      TEMPORAL_PROFILE: 'private',
      TEMPORAL_ADDRESS: 'other:7233',
      TEMPORAL_NAMESPACE: 'x',
      TEMPORAL_TLS: 'false',
    }).temporal;
    expect(t).toMatchObject({ address: 'other:7233', namespace: 'x' });
    expect(temporalConnectionOptions(t).tls).toBe(false);
  });

  it('a private CA and server name from the profile, or from TEMPORAL_TLS_* variables', () => {
    const fromProfile = temporalConnectionOptions(
      loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'private' }).temporal,
    );
    const fromEnv = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }).temporal,
    );
    for (const options of [fromProfile, fromEnv]) {
      expect(options.tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
      expect(
        Buffer.from((options.tls as { serverRootCACertificate: Uint8Array }).serverRootCACertificate).toString(),
      ).toContain('BEGIN CERTIFICATE');
    }
  });

  it('a missing profile, an unreadable file and a missing CA file are errors that name the setting', () => {
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'nope' })).toThrow(
      /TEMPORAL_PROFILE="nope" is invalid/,
    );
    const broken = join(dir, 'broken.toml');
    writeFileSync(broken, '[profile.default\naddress = ');
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: broken })).toThrow(
      /TEMPORAL_CONFIG_FILE=.*broken\.toml.* is invalid/,
    );
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'not-a-host-port' })).toThrow(/TEMPORAL_ADDRESS="not-a-host-port"/);
    const t = loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'missing.pem') }).temporal;
    expect(() => temporalConnectionOptions(t)).toThrow(TemporalConnectionError);
    expect(() => temporalConnectionOptions(t)).toThrow(/missing\.pem.*TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
  });
});
