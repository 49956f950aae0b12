/**
 * Whose secrets go where, and whose names a definition may take, on the real stack:
 * - a secret goes only to the origins INGEST_SECRET_ORIGINS binds it to, or those of the source's own
 *   INGEST_SOURCES_DIR file: a definition that would send it elsewhere is refused before any request,
 *   and a raw TCP server standing in for the thief receives no byte at all;
 * - a file's secret, not listed in INGEST_SECRET_ORIGINS, still reaches the file's own origin;
 * - an inline definition that takes a file's name, or the feature set a file maps to, is refused
 *   naming the field, and writes no row and moves no watermark (a forged checkpoint neither);
 * - a worker without INGEST_ALLOW_INLINE_DEFINITIONS runs no inline definition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import type { IngestSourceInput } from '../../src/shared/contracts/ingest-source';
import { emptyCounts } from '../../src/shared/ingest-counts';
import { validateSourceDefinition, type SourceDefinition } from '../../src/shared/source-definition';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { startTestWorker, uniqueName, type TestWorker } from '../helpers/temporal';

/** A TCP server that counts every byte and connection it receives (and answers 404 to any request). */
async function startWireCounter(): Promise<{
  origin: string;
  bytes: () => Buffer;
  connections: () => number;
  close(): Promise<void>;
}> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // answer whatever arrives with a final 404, so a request that did go out fails fast instead of hanging
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => Buffer.concat(chunks),
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('secrets bound to origins, and names owned by their sources', () => {
  const suite = useStackSuite();
  let source: SyntheticSource;
  let thief: Awaited<ReturnType<typeof startWireCounter>>;
  let dir = '';
  let catalog: TestWorker;
  const variable = `SOURCE_SECRET_BINDING_TEST_${uniqueName('s').replace(/-/g, '_').toUpperCase()}`;
  const secret = `t0ken-${uniqueName('v')}`;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    process.env[variable] = secret; // in-process workers read it at fetch time
    source = await startSyntheticSource({ records: 120, entityPrefix: `${uniqueName('b')}-` });
    thief = await startWireCounter();
    dir = mkdtempSync(join(tmpdir(), 'sources-'));
    catalog = await startTestWorker({ config: loadConfig({ ...process.env, INGEST_SOURCES_DIR: dir }) });
  });

  afterAll(async () => {
    await catalog?.stop();
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    await thief?.close();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env[variable];
  });

  async function failure(taskQueue: string, input: IngestSourceInput): Promise<ApplicationFailure> {
    const err = await runIngest(suite.client, taskQueue, input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause = (err as WorkflowFailedError).cause;
    if (cause instanceof ActivityFailure) cause = cause.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  const secretHeader = { Authorization: { env: variable, prefix: 'Bearer ' } };

  it('an inline definition sending an unbound secret to another origin is refused, and not one byte reaches it', async () => {
    const definition = testSource(source, 'offset', { url: `${thief.origin}/offset`, headers: secretHeader });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    const app = await failure(suite.worker.taskQueue, { source: definition.name, definition });
    expect(app.type).toBe('SourceDestinationError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain(`would carry the secret headers.Authorization (${variable}) to ${thief.origin}`);
    expect(app.message).toContain(`bind it with INGEST_SECRET_ORIGINS=${variable}=<origin>`);
    expect(app.message).not.toContain(secret);
    expect(thief.connections()).toBe(0);
    expect(thief.bytes().length).toBe(0);
    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(0);
  });

  it('a secret bound to the source reaches it there, and is refused anywhere else, still without a byte sent', async () => {
    const bound = await startTestWorker({
      config: loadConfig({ ...process.env, INGEST_SECRET_ORIGINS: `${variable}=${source.url}` }),
    });
    const seen = new Set<string>();
    source.setFaults((r) => {
      seen.add(String(r.headers.authorization));
      return undefined;
    });
    try {
      const good = testSource(source, 'offset', { headers: secretHeader });
      written.push({ featureSet: good.mapping.featureSet, source: good.name });
      const out = await runIngest(suite.client, bound.taskQueue, { source: good.name, definition: good });
      expect(out.recordsWritten).toBe(120);
      expect([...seen]).toEqual([`Bearer ${secret}`]);

      const elsewhere = testSource(source, 'offset', { url: `${thief.origin}/offset`, headers: secretHeader });
      written.push({ featureSet: elsewhere.mapping.featureSet, source: elsewhere.name });
      const app = await failure(bound.taskQueue, { source: elsewhere.name, definition: elsewhere });
      expect(app.type).toBe('SourceDestinationError');
      expect(app.message).toContain(`INGEST_SECRET_ORIGINS binds ${variable} to ${new URL(source.url).origin}`);
      expect(thief.connections()).toBe(0);
      expect(thief.bytes().includes(secret)).toBe(false);
    } finally {
      source.setFaults(undefined);
      await bound.stop();
    }
  });

  it("a file's secret, which INGEST_SECRET_ORIGINS does not list, reaches the file's own origin", async () => {
    const definition = testSource(source, 'page', { headers: secretHeader });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    writeFileSync(join(dir, `${definition.name}.json`), JSON.stringify(definition));
    const seen = new Set<string>();
    source.setFaults((r) => {
      seen.add(String(r.headers.authorization));
      return undefined;
    });
    try {
      const out = await runIngest(suite.client, catalog.taskQueue, { source: definition.name });
      expect(out.recordsWritten).toBe(120);
      expect([...seen]).toEqual([`Bearer ${secret}`]);
    } finally {
      source.setFaults(undefined);
    }
  });

  describe('an inline definition taking an existing source', () => {
    let owner: SourceDefinition;
    const watermark = '2026-01-01T00:00:00.000Z';

    beforeAll(async () => {
      owner = testSource(source, 'offset');
      written.push({ featureSet: owner.mapping.featureSet, source: owner.name });
      writeFileSync(join(dir, `${owner.name}.json`), JSON.stringify(owner));
      await suite.pool.query(
        `INSERT INTO features.source_watermarks (source, event_time, cursor, updated_by) VALUES ($1, $2, NULL, 'test')`,
        [owner.name, watermark],
      );
    });

    async function watermarkOf(name: string): Promise<string | null> {
      const { rows } = await suite.pool.query<{ event_time: Date | null }>(
        'SELECT event_time FROM features.source_watermarks WHERE source = $1',
        [name],
      );
      return rows[0]?.event_time?.toISOString() ?? null;
    }

    it('its name: refused naming definition.name; its feature set gets 0 rows, the watermark stays', async () => {
      const before = source.stats().requests;
      const taker = { ...testSource(source, 'offset'), name: owner.name };
      written.push({ featureSet: taker.mapping.featureSet, source: taker.name });
      const app = await failure(catalog.taskQueue, { source: owner.name, definition: taker });
      expect(app.type).toBe('ValidationError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toContain(`definition.name="${owner.name}" is invalid`);
      expect(app.message).toContain(`${owner.name}.json of INGEST_SOURCES_DIR defines it`);
      expect((await landed(suite.pool, taker.mapping.featureSet)).rows).toBe(0);
      expect((await landed(suite.pool, owner.mapping.featureSet)).rows).toBe(0);
      expect(await watermarkOf(owner.name)).toBe(watermark);
      expect(source.stats().requests).toBe(before);
    });

    it('a forged checkpoint with its name cannot push its watermark to 9999-12-31', async () => {
      const taker = validateSourceDefinition({ ...testSource(source, 'offset'), name: owner.name });
      const app = await failure(catalog.taskQueue, {
        source: owner.name,
        checkpoint: {
          definition: taker,
          params: {},
          next: null,
          counts: { ...emptyCounts(), maxEventTime: '9999-12-31T00:00:00.000Z' },
          lastPage: null,
          previousWatermark: null,
          continuedAsNew: 0,
        },
      });
      expect(app.type).toBe('ValidationError');
      expect(app.message).toContain(`definition.name="${owner.name}" is invalid`);
      expect(await watermarkOf(owner.name)).toBe(watermark);
    });

    it('its feature set, under a new name: refused naming definition.mapping.featureSet, 0 rows', async () => {
      const taker = testSource(source, 'offset');
      const named = { ...taker, mapping: { ...taker.mapping, featureSet: owner.mapping.featureSet } };
      written.push({ featureSet: owner.mapping.featureSet, source: named.name });
      const app = await failure(catalog.taskQueue, { source: named.name, definition: named });
      expect(app.type).toBe('ValidationError');
      expect(app.message).toContain(`definition.mapping.featureSet="${owner.mapping.featureSet}" is invalid`);
      expect(app.message).toContain(`${owner.name} maps to it`);
      expect((await landed(suite.pool, owner.mapping.featureSet)).rows).toBe(0);
    });
  });

  it('a worker without INGEST_ALLOW_INLINE_DEFINITIONS refuses an inline definition, naming the setting, before any request', async () => {
    const strict = await startTestWorker({
      config: loadConfig({ ...process.env, INGEST_ALLOW_INLINE_DEFINITIONS: 'false' }),
    });
    try {
      const before = source.stats().requests;
      const definition = testSource(source, 'offset');
      written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
      const app = await failure(strict.taskQueue, { source: definition.name, definition });
      expect(app.type).toBe('ValidationError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toMatch(/^definition=".*" is invalid: .*INGEST_ALLOW_INLINE_DEFINITIONS=true/);
      expect(source.stats().requests).toBe(before);
      expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(0);
    } finally {
      await strict.stop();
    }
  });
});
