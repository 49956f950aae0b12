/**
 * Source definitions: a bad field fails the run fast, naming the field; a secret header reaches the
 * source but never the workflow history; a file in INGEST_SOURCES_DIR is found by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { RecordsWritten, SourceName } from '../../src/shared/search-attributes';
import type { SourceDefinition } from '../../src/shared/source-definition';
import { startIngest } from '../../src/client';
import { BAD_DEFINITIONS } from '../helpers/bad-definitions';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { startTestWorker, uniqueName } from '../helpers/temporal';

describe('source definitions', () => {
  const suite = useStackSuite();
  let source: SyntheticSource;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    source = await startSyntheticSource({ records: 300, entityPrefix: `${uniqueName('c')}-` });
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    await source?.close();
  });

  /** Runs the workflow and returns the ApplicationFailure it failed with. */
  async function failure(
    definition: unknown,
    name = (definition as SourceDefinition).name,
  ): Promise<ApplicationFailure> {
    const err = await runIngest(suite.client, suite.worker.taskQueue, {
      source: name,
      definition: definition as SourceDefinition,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause = (err as WorkflowFailedError).cause;
    if (cause instanceof ActivityFailure) cause = cause.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  it.each(BAD_DEFINITIONS)(
    '%s fails the run before any request, naming the field',
    async (_label, breakIt, message) => {
      const before = source.stats().requests;
      const app = await failure(breakIt(testSource(source, 'offset')));
      expect(app.type).toBe('ValidationError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toMatch(message);
      expect(app.message).not.toContain('abc123');
      expect(source.stats().requests).toBe(before);
    },
  );

  /** A worker whose INGEST_SECRET_ORIGINS binds `variable` to the synthetic source (an inline definition's secret goes nowhere else). */
  async function boundWorker(variable: string) {
    return startTestWorker({
      config: loadConfig({ ...process.env, INGEST_SECRET_ORIGINS: `${variable}=${new URL(source.url).origin}` }),
    });
  }

  it('a secret header reaches the source and never appears in the workflow history', async () => {
    const variable = `SOURCE_SECRET_INGEST_TEST_TOKEN_${uniqueName('t').replace(/-/g, '_').toUpperCase()}`;
    const secret = `s3cr3t-${uniqueName('v')}`;
    process.env[variable] = secret; // the in-process test worker reads it at fetch time
    const worker = await boundWorker(variable);
    const received = new Set<string>();
    source.setFaults((r) => {
      received.add(String(r.headers.authorization));
      return undefined;
    });
    const definition = testSource(source, 'cursor', {
      headers: { Authorization: { env: variable, prefix: 'Bearer ' }, 'X-Client': 'mlops-test' },
    });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    const workflowId = uniqueName('ingest-secret');
    try {
      const out = await runIngest(suite.client, worker.taskQueue, { source: definition.name, definition }, workflowId);
      expect(out.recordsWritten).toBe(300);
      expect([...received]).toEqual([`Bearer ${secret}`]);
      const history = historyText(await suite.client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).toContain(variable); // the reference is in the input…
      expect(history).not.toContain(secret); // …the value is not, in any event, payload or failure
    } finally {
      source.setFaults(undefined);
      delete process.env[variable];
      await worker.stop();
    }
  });

  it('a secret header whose variable is unset fails naming the variable, not retrying', async () => {
    const definition = testSource(source, 'offset', {
      headers: { 'X-Api-Key': { env: 'SOURCE_SECRET_INGEST_TEST_UNSET_VARIABLE' } },
    });
    const app = await failure(definition);
    expect(app.type).toBe('ConfigError');
    expect(app.message).toContain('headers.X-Api-Key.env="SOURCE_SECRET_INGEST_TEST_UNSET_VARIABLE"');
  });

  it('a secret naming a variable the operator did not allow (DATABASE_URL) fails validation naming it, before any request', async () => {
    const before = source.stats().requests;
    const definition = testSource(source, 'offset', { headers: { Authorization: { env: 'DATABASE_URL' } } });
    const app = await failure(definition);
    expect(app.type).toBe('ValidationError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain(
      'headers.Authorization.env="DATABASE_URL" is invalid: a variable named SOURCE_SECRET_… or listed in INGEST_SECRET_ENV_ALLOW',
    );
    expect(app.message).not.toContain(process.env.DATABASE_URL ?? 'postgresql://');
    expect(source.stats().requests).toBe(before);
  });

  it('a secret query parameter reaches the source on every page, and never the history, though the source echoes it into its next links', async () => {
    const variable = `SOURCE_SECRET_INGEST_TEST_KEY_${uniqueName('k').replace(/-/g, '_').toUpperCase()}`;
    const secret = `k3y-${uniqueName('v')}`;
    process.env[variable] = secret;
    const worker = await boundWorker(variable);
    const received: string[] = [];
    source.setFaults((r) => {
      received.push(new URL(r.url, 'http://x').searchParams.get('api_key') ?? '(none)');
      return undefined;
    });
    // the synthetic /link route copies every query parameter into its Link header
    const definition = testSource(source, 'link', { pageSize: 50, queryParams: { api_key: { env: variable } } });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    const workflowId = uniqueName('ingest-query-secret');
    try {
      const out = await runIngest(suite.client, worker.taskQueue, { source: definition.name, definition }, workflowId);
      expect(out.recordsWritten).toBe(300);
      expect(received.length).toBe(6);
      expect(new Set(received)).toEqual(new Set([secret]));
      const history = historyText(await suite.client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).toContain('/link?'); // next-link refs are in the history…
      expect(history).not.toContain(secret); // …without the key
    } finally {
      source.setFaults(undefined);
      delete process.env[variable];
      await worker.stop();
    }
  });

  it('a link-local (cloud metadata) URL is refused without a request', async () => {
    const definition = testSource(source, 'offset', { url: 'http://169.254.169.254/latest/meta-data/customers' });
    const app = await failure(definition);
    expect(app.type).toBe('SourceDestinationError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain(
      '169.254.169.254 is a loopback, private, link-local or otherwise non-public address: refused for sources (INGEST_ALLOW_DESTINATIONS',
    );
  });

  it('a historyEventLimit that would continue as new before any page is refused', async () => {
    const definition = testSource(source, 'offset');
    const err = await runIngest(suite.client, suite.worker.taskQueue, {
      source: definition.name,
      definition,
      historyEventLimit: 3,
    }).catch((e: unknown) => e);
    const app = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(app.type).toBe('ValidationError');
    expect(app.message).toMatch(/^historyEventLimit=3 is invalid: an integer from 10 to 1000000/);
  });

  it('a source in INGEST_SOURCES_DIR runs by name, with its search attributes and summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sources-'));
    const config = loadConfig({ ...process.env, INGEST_SOURCES_DIR: dir });
    const catalogWorker = await startTestWorker({ config });
    const definition = testSource(source, 'page');
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    writeFileSync(join(dir, `${definition.name}.json`), JSON.stringify(definition, null, 2));
    try {
      const handle = await startIngest(
        suite.client,
        { source: definition.name, indexClosedPartitions: false },
        { taskQueue: catalogWorker.taskQueue, config },
      );
      const out = await handle.result();
      expect(out).toMatchObject({ recordsWritten: 300, reconciled: true, featureSet: definition.mapping.featureSet });
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(SourceName)).toBe(definition.name);
      expect(description.typedSearchAttributes.get(RecordsWritten)).toBe(300);
      expect(await description.staticSummary()).toContain(`Ingest source ${definition.name}`);
    } finally {
      await catalogWorker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown source name without an inline definition fails naming INGEST_SOURCES_DIR', async () => {
    const err = await runIngest(suite.client, suite.worker.taskQueue, { source: uniqueName('nosuch') }).catch(
      (e: unknown) => e,
    );
    const app = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(app.type).toBe('ValidationError');
    expect(app.message).toContain('INGEST_SOURCES_DIR');
    expect((await landed(suite.pool, 'nothing')).rows).toBe(0);
  });
});

/** Every string of a history, with payload bytes decoded as UTF-8 (payload data is binary, base64 in JSON). */
function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}
