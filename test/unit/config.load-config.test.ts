import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/shared/errors';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', uiPort: 8233, taskQueue: 'mlops', cliVersion: '1.9.1' });
    expect(c.postgres).toMatchObject({ host: '127.0.0.1', port: 5432, user: 'mlops', database: 'mlops' });
    expect(c.redis).toMatchObject({ host: '127.0.0.1', port: 6379 });
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
