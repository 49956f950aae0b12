/**
 * The page writer ingestion uses: one page of rows and dead letters into the feature store.
 *
 * The write path (docs/INGESTION.md has the measurements): a page's rows are COPYed into a
 * session-local staging table, then moved with one INSERT … ON CONFLICT (feature_set, entity_id,
 * event_time) DO UPDATE, and the page's dead letters are inserted, all in one transaction. A page
 * written twice (a retry after a crash) therefore leaves the same rows and the same dead letters.
 */
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { inTransaction } from '../postgres';
import { forgetLeafPartitions, leafPartitions, routeRows, type LeafPartition } from './leaf-partitions';
import { storableJson, storableText, type DeadLetter, type FeatureRow } from './rows';

/** Everything one page contributes to the feature store. */
export interface PageWrite {
  source: string;
  featureSet: string;
  workflowId: string;
  runId: string;
  /** the page's stable name (pageKey), part of the dead-letter key */
  page: string;
  /** valid rows, already de-duplicated on (entity id, event time) */
  rows: FeatureRow[];
  deadLetters: DeadLetter[];
}

/**
 * How rows get into PostgreSQL (bench/ingest.bench.ts measures all three):
 * - 'copy-direct': COPY straight into the leaf partitions under a savepoint (leaf-partitions.ts); if
 *   any row already exists (a re-fetched page, a re-run) the savepoint is rolled back and the page
 *   goes the 'copy' way. Fastest for new rows: one pass, no staging table.
 * - 'copy': COPY into a session-local staging table, then INSERT … ON CONFLICT … DO UPDATE.
 * - 'unnest': one INSERT … SELECT FROM unnest($arrays) … ON CONFLICT (no COPY; about half as fast).
 */
export type WriteMethod = 'copy-direct' | 'copy' | 'unnest';

// ON COMMIT DELETE ROWS empties the table at each commit, so a pooled session reuses one staging
// table instead of creating (and bloating the catalog with) one per page.
const CREATE_STAGE = `CREATE TEMP TABLE IF NOT EXISTS ingest_stage (
  entity_id text NOT NULL, event_time timestamptz NOT NULL, features jsonb NOT NULL) ON COMMIT DELETE ROWS`;

// An identical row (a re-fetched page) is left alone: no dead tuple, no GIN pending-list entry.
const UPSERT_TAIL = `ON CONFLICT (feature_set, entity_id, event_time) DO UPDATE
  SET features = EXCLUDED.features, source = EXCLUDED.source, ingested_by = EXCLUDED.ingested_by, ingested_at = now()
  WHERE fv.features IS DISTINCT FROM EXCLUDED.features OR fv.source IS DISTINCT FROM EXCLUDED.source`;

const UNIQUE_VIOLATION = '23505';
/** a row outside its leaf's range (check_violation), a leaf that no longer exists (undefined_table) */
const STALE_PARTITION_LIST = new Set(['23514', '42P01']);

const staged = new WeakSet<PoolClient>();

/**
 * Writes one page in one transaction: rows upserted, dead letters inserted once. Returns the method
 * that wrote the rows. Dead letters conflict on their unique key, whichever it is: (source,
 * workflow_id, page, record_index) today, with run_id once that key includes the run.
 */
export async function writePage(
  client: PoolClient,
  page: PageWrite,
  method: WriteMethod = 'copy-direct',
): Promise<WriteMethod> {
  try {
    return await writeInTransaction(client, page, method);
  } catch (err) {
    // The transaction rolled back, and with it a staging table it may have created (42P01 on the
    // next page otherwise): make the next write on this connection create it again.
    staged.delete(client);
    throw err;
  }
}

async function writeInTransaction(client: PoolClient, page: PageWrite, method: WriteMethod): Promise<WriteMethod> {
  let used = method;
  return inTransaction(client, async () => {
    if (page.rows.length) {
      if (method === 'copy-direct') {
        await client.query('SAVEPOINT direct');
        try {
          await copyDirect(client, page, await leafPartitions(client)).catch(async (err: unknown) => {
            if (!STALE_PARTITION_LIST.has((err as { code?: string }).code ?? '')) throw err;
            // a leaf was dropped or re-made since the list was read: this page goes through the parent
            forgetLeafPartitions();
            await client.query('ROLLBACK TO SAVEPOINT direct');
            await copyDirect(client, page, []);
          });
          await client.query('RELEASE SAVEPOINT direct');
        } catch (err) {
          if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
          // Some rows exist already: this page was written before (a retry) or is a re-run. Upsert instead.
          await client.query('ROLLBACK TO SAVEPOINT direct');
          used = 'copy';
        }
      }
      if (used === 'copy') {
        if (!staged.has(client)) {
          await client.query(CREATE_STAGE);
          staged.add(client);
        }
        await pipeline(
          Readable.from(copyChunks(page.rows, '', '')),
          client.query(copyFrom('COPY ingest_stage (entity_id, event_time, features) FROM STDIN')),
        );
        await client.query(
          `INSERT INTO features.feature_values AS fv (feature_set, entity_id, event_time, features, source, ingested_by)
           SELECT $1, entity_id, event_time, features, $2, $3 FROM ingest_stage ${UPSERT_TAIL}`,
          [page.featureSet, page.source, page.workflowId],
        );
      } else if (used === 'unnest') {
        await client.query(
          `INSERT INTO features.feature_values AS fv (feature_set, entity_id, event_time, features, source, ingested_by)
           SELECT $1, e, t, f, $2, $3 FROM unnest($4::text[], $5::timestamptz[], $6::jsonb[]) AS u(e, t, f) ${UPSERT_TAIL}`,
          [
            page.featureSet,
            page.source,
            page.workflowId,
            page.rows.map((r) => r.entityId),
            page.rows.map((r) => r.eventTime),
            page.rows.map((r) => r.json ?? JSON.stringify(r.features)),
          ],
        );
      }
    }
    if (page.deadLetters.length) {
      await client.query(
        `INSERT INTO features.dead_letters (source, workflow_id, run_id, page, record_index, raw, reason)
         SELECT $1, $2, $3, $4, i, r, m FROM unnest($5::int[], $6::jsonb[], $7::text[]) AS u(i, r, m)
         ON CONFLICT DO NOTHING`,
        [
          page.source,
          page.workflowId,
          page.runId,
          storableText(page.page),
          page.deadLetters.map((d) => d.index),
          page.deadLetters.map((d) => storableJson(d.raw)),
          page.deadLetters.map((d) => storableText(d.reason)),
        ],
      );
    }
    return used;
  });
}

/**
 * New rows COPYed straight into their leaf partitions (leaf-partitions.ts says why), the rest through
 * the parent; the leaves' writes counted as the parent's triggers count theirs (migration 075).
 */
async function copyDirect(client: PoolClient, page: PageWrite, partitions: LeafPartition[]): Promise<void> {
  let routed = routeRows(page.rows, partitions);
  if (routed.parent.length && partitions.length) routed = routeRows(page.rows, await leafPartitions(client, true));
  const before = `${copyText(page.featureSet)}\t`;
  const after = `\t${copyText(page.source)}\t${copyText(page.workflowId)}`;
  const targets = [
    ...routed.leaves,
    ...(routed.parent.length ? [{ partition: 'features.feature_values', rows: routed.parent }] : []),
  ];
  for (const { partition, rows } of targets) {
    await pipeline(
      Readable.from(copyChunks(rows, before, after)),
      client.query(
        copyFrom(`COPY ${partition} (feature_set, entity_id, event_time, features, source, ingested_by) FROM STDIN`),
      ),
    );
  }
  if (routed.hours.size) {
    const hours = [...routed.hours];
    await client.query('SELECT features.record_feature_writes($1::text[], $2::timestamptz[], $3::bigint[])', [
      hours.map(() => page.featureSet),
      hours.map(([hour]) => new Date(hour).toISOString()),
      hours.map(([, n]) => n),
    ]);
  }
}

/** COPY text format, ~1 MB per chunk; `before`/`after` hold constant columns (already escaped, with tabs). */
function* copyChunks(rows: FeatureRow[], before: string, after: string): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += `${before}${copyText(row.entityId)}\t${row.eventTime}\t${copyText(row.json ?? JSON.stringify(row.features))}${after}\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
export function copyText(value: string): string {
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
