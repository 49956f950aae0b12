/**
 * `npm run bench:fleet [-- --rows N --small N --days N --ingest-sample N --keep | --reuse ID]`: drift
 * from partition profiles against the exact check, in one run (docs/DRIFT.md, "Profiles").
 * `--keep` leaves the generated feature sets in place and prints their id; `--reuse ID` measures on
 * them again without generating (20M rows take the better part of an hour to make), or finishes
 * generating them if that run was interrupted.
 *
 * Two feature sets over the same closed days (20 features: 16 numeric, 4 categorical; generated in
 * SQL with generate_series; the second half of the days drifted): `--small` rows (default 1,000,000)
 * and `--rows` rows (default 2,000,000: 20,000,000 × 20 features takes the better part of an hour
 * to generate and profile on 2 shared cores; pass `--rows 20000000` for the size). Both are
 * profiled by the closed-partition profiler, then, on the same windows:
 *  1. the exact check (COPY stream, 2 worker threads) vs the check from profiles at `--small` rows;
 *  2. the check from profiles at `--rows` vs at `--small` rows (each from cold caches, best of 3);
 *  3. max |PSI(profiles) − PSI(exact)| over every feature at `--small` rows;
 *  4. the write path (writePage, bench/ingest.bench.ts's measuring function) with profiles on vs off
 *     (setProfileWrites), into open partitions and as late data into closed ones;
 *  5. 1,000 sensors due at once on one worker (bench/fleet-sensors.ts).
 * Last line: `fleet: profiles 35x exact at 1M rows, 1.1x from 1M to 20M, max |dPSI| 0.004, 1000 sensors in 80 s, 25x fewer rows scanned, ingest 0.98x with profiles`.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { loadConfig } from '../src/config';
import { startSyntheticSource, syntheticSourceDefinition, createSyntheticRecords } from '../src/demo/synthetic-source';
import { profileClosedPartitions } from '../src/feature-store/partition-profiles';
import { buildReferenceProfile } from '../src/feature-store/reference-profile';
import type { FeatureRow } from '../src/feature-store/rows';
import { streamWindowHistogram } from '../src/feature-store/window-histogram';
import { clearProfileCaches, windowHistograms } from '../src/feature-store/window-profiles';
import { compileMapping } from '../src/ingest/records';
import { createPool } from '../src/postgres';
import { listMigrations } from '../src/warehouse/migrate';
import { binSpecOf, evaluateDrift, type BinSpec } from '../src/shared/drift';
import { validateSourceDefinition } from '../src/shared/source-definition';
import type { TimeWindow } from '../src/shared/time-window';
import type { ReferenceProfile } from '../src/shared/types';
import { intArg, stringArg } from './args';
import { measureSensors } from './fleet-sensors';
import { sampleRows, writeRows } from './ingest.bench';

const NUMERIC = Array.from({ length: 16 }, (_, i) => `n${i + 1}`);
const CATEGORICAL = ['c1', 'c2', 'c3', 'c4'];
const FEATURES = [...NUMERIC, ...CATEGORICAL];
const DAY = 86_400_000;

function log(line: string): void {
  console.log(`[bench:fleet] ${line}`);
}

const label = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : `${Math.round(n / 1e3)}k`);

/** Rows per INSERT (one transaction each): an interrupted --keep run has a multiple of it, and --reuse goes on from there. */
const BATCH = 500_000;

/** Inserts `rows` rows (from row `from`: the rest of an interrupted run) with event times spread evenly over `window`; the second half shifted. */
async function generate(pool: Pool, featureSet: string, window: TimeWindow, rows: number, from = 0): Promise<void> {
  const shift = `(CASE WHEN g >= ${Math.floor(rows / 2)} THEN 3 ELSE 0 END)`;
  // values with 2 decimals: 10,000–25,000 distinct values per feature, so the profiles use the sketch
  const numeric = NUMERIC.map(
    (f, i) => `'${f}', round((random() * ${100 + i * 10} + ${shift} * ${i + 1})::numeric, 2)`,
  ).join(', ');
  const categorical = CATEGORICAL.map(
    (f) => `'${f}', (ARRAY['a','b','c','d','e','f'])[1 + floor(random() * (5 + ${shift} / 3))::int]`,
  ).join(', ');
  for (let start = from; start < rows; start += BATCH) {
    const end = Math.min(rows, start + BATCH);
    await pool.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
       SELECT $1, 'e' || g, $2::timestamptz + (g::float8 / $4) * ($3::timestamptz - $2::timestamptz), jsonb_build_object(${numeric}, ${categorical}), 'bench-fleet'
         FROM generate_series($5::bigint, $6::bigint - 1) g`,
      [featureSet, window.start, window.end, rows, start, end],
    );
    if (end % 2_000_000 === 0 || end === rows) log(`  ${featureSet}: ${label(end)} / ${label(rows)} rows`);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The check from profiles from cold caches (profiles read from PostgreSQL), best of `runs`. */
async function profileCheck(
  pool: Pool,
  featureSet: string,
  window: TimeWindow,
  reference: ReferenceProfile,
  specs: Record<string, BinSpec>,
  runs = 3,
) {
  let best:
    | {
        seconds: number;
        evaluation: ReturnType<typeof evaluateDrift>;
        read: Awaited<ReturnType<typeof windowHistograms>>['read'];
      }
    | undefined;
  for (let i = 0; i < runs; i++) {
    clearProfileCaches();
    const { result, seconds } = await timed(() => windowHistograms(pool, featureSet, window, specs));
    if (!best || seconds < best.seconds)
      best = { seconds, evaluation: evaluateDrift(reference, result.histogram), read: result.read };
  }
  return best!;
}

/** The 1,000-sensor part (bench/fleet-sensors.ts): wall time, rows PostgreSQL read, against N exact checks. */
async function sensorsPart(): Promise<string> {
  const m = await measureSensors({ log });
  log(
    `${m.sensors} sensors: ${m.seconds.toFixed(1)} s, ${m.rowsScanned} rows scanned vs ${m.exactRowsScaled} for ${m.sensors} exact checks (scaled from a sample), peak RSS ${Math.round(m.rssMb)} MB`,
  );
  return `${m.sensors} sensors in ${Math.round(m.seconds)} s, ${Math.round(m.exactRowsScaled / Math.max(1, m.rowsScanned))}x fewer rows scanned`;
}

const WRITE_TRIGGERS = ['feature_values_count_inserts', 'feature_values_count_updates', 'feature_values_count_deletes'];

/**
 * Profiles off: the write-count triggers dropped and the writer's counting function emptied (what
 * ingestion was before migration 070; disabling the triggers is not enough, a disabled
 * transition-table trigger still stops COPY's batching). On: both as migrations 070 and 075 make them.
 */
async function setProfileWrites(pool: Pool, on: boolean): Promise<void> {
  const sql = Object.fromEntries(listMigrations().map((m) => [m.name.slice(0, 3), m.sql]));
  for (const t of WRITE_TRIGGERS) await pool.query(`DROP TRIGGER IF EXISTS ${t} ON features.feature_values`);
  if (on) {
    await pool.query(sql['075']!);
    for (const create of sql['070']!.match(/^CREATE TRIGGER [^;]+;/gm) ?? []) await pool.query(create);
  } else {
    await pool.query(
      'CREATE OR REPLACE FUNCTION features.record_feature_writes(p_feature_sets text[], p_hours timestamptz[], p_counts bigint[]) RETURNS void LANGUAGE plpgsql AS $$BEGIN END$$',
    );
  }
}

/**
 * writePage rows/s with profiles on and off (setProfileWrites), best of ROUNDS each. The order
 * alternates (off, on, on, off, …) because the table grows with every write: measuring one variant
 * always first would favour it. Late rows go 10 days back, into closed days profiled beforehand.
 */
async function ingestOnOff(
  pool: Pool,
  featureSet: string,
  sample: number,
): Promise<{ open: [number, number]; late: [number, number] }> {
  const ROUNDS = 4;
  const source = await startSyntheticSource({
    records: sample,
    entityPrefix: `f${featureSet.slice(-6)}-`,
    spanDays: 1.5,
    label: false,
  });
  try {
    const definition = validateSourceDefinition(
      syntheticSourceDefinition(source, 'offset', {
        name: `${featureSet}-src`,
        featureSet,
        pageSize: 5000,
        incremental: undefined,
        window: undefined,
      }),
    );
    const records = createSyntheticRecords({
      records: sample,
      entityPrefix: `f${featureSet.slice(-6)}-`,
      spanDays: 1.5,
      label: false,
    });
    const map = compileMapping(definition.mapping);
    let variant = 10;
    const open = () => sampleRows(records, map, sample, variant++);
    const late = () =>
      open().map((r) => ({ ...r, eventTime: new Date(Date.parse(r.eventTime) - 10 * DAY).toISOString() }));
    const rate = async (rows: FeatureRow[]) =>
      (rows.length / (await writeRows(pool, rows, featureSet, 'bench-fleet', 5000, 'copy-direct'))) * 1000;
    // warm-up, and closed days with profiles to mark stale
    await rate(open());
    await rate(late());
    await profileClosedPartitions(pool, 2, () => {}, featureSet);
    const best = { open: [0, 0] as [number, number], late: [0, 0] as [number, number] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
          await setProfileWrites(pool, on);
          const i = on ? 1 : 0;
          best.open[i] = Math.max(best.open[i], await rate(open()));
          best.late[i] = Math.max(best.late[i], await rate(late()));
        }
      }
    } finally {
      await setProfileWrites(pool, true);
    }
    return best;
  } finally {
    await source.close();
  }
}

async function main(): Promise<void> {
  const rows = intArg('rows', 2_000_000);
  const small = intArg('small', 1_000_000);
  const days = intArg('days', 4);
  const ingestSample = intArg('ingest-sample', 100_000);
  const cfg = loadConfig();
  // the owner's pool: generation, cleanup and switching the triggers off for the ingest comparison are not the worker's to do
  const pool = createPool({ ...cfg.postgres, url: cfg.postgres.migrateUrl }, 'mlops-bench-fleet');
  const reuse = stringArg('reuse');
  const keep = process.argv.includes('--keep') || reuse !== undefined;
  if (reuse !== undefined && !/^[0-9a-f]{6}$/.test(reuse))
    throw new Error(`--reuse=${reuse} is invalid: expected the 6-hex-digit id a --keep run printed`);
  const id = reuse ?? randomBytes(3).toString('hex');
  const smallSet = `bench-fleet-s-${id}`;
  const largeSet = `bench-fleet-l-${id}`;
  const ingestSet = `bench-fleet-i-${id}`;
  const today = Math.floor(Date.now() / DAY) * DAY;
  // whole closed days well inside the partitions made 30 days back
  const window: TimeWindow = {
    start: new Date(today - (days + 16) * DAY).toISOString(),
    end: new Date(today - 16 * DAY).toISOString(),
  };
  // ~100,000 rows of the small set, from its undrifted first half
  const refWindow: TimeWindow = {
    start: window.start,
    end: new Date(Date.parse(window.start) + Math.min(0.5, 100_000 / small) * days * DAY).toISOString(),
  };
  try {
    if (reuse) {
      for (const [fs, n] of [
        [smallSet, small],
        [largeSet, rows],
      ] as const) {
        const {
          rows: [found],
        } = await pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM features.feature_values WHERE feature_set = $1 AND event_time >= $2 AND event_time < $3',
          [fs, window.start, window.end],
        );
        const have = Number(found!.n);
        if (have < n && have % BATCH === 0) {
          log(`${fs} holds ${label(have)} of ${label(n)} rows (an interrupted run): generating the rest`);
          await generate(pool, fs, window, n, have);
          await pool.query('ANALYZE features.feature_values');
        } else if (have !== n)
          throw new Error(
            `--reuse=${reuse}: ${fs} holds ${have} rows in the window, expected ${n} (pass the --small, --rows and --days of the --keep run, on the same UTC day)`,
          );
      }
      log(`reusing ${smallSet} and ${largeSet}`);
    } else {
      log(
        `generating ${label(small)} and ${label(rows)} rows x ${FEATURES.length} features over ${days} closed days (SQL generate_series)`,
      );
      const gen = await timed(async () => {
        await generate(pool, smallSet, window, small);
        await generate(pool, largeSet, window, rows);
        await pool.query('ANALYZE features.feature_values');
      });
      log(`generated in ${Math.round(gen.seconds)} s`);
    }
    const build = await timed(async () => {
      const a = await profileClosedPartitions(pool, 2, () => {}, smallSet);
      const b = await profileClosedPartitions(pool, 2, () => {}, largeSet);
      return a.length + b.length;
    });
    log(
      `profiled ${build.result} partitions x feature sets (${label(small + rows)} rows) in ${build.seconds.toFixed(1)} s = ${((build.seconds / (small + rows)) * 1e6).toFixed(1)} s per 1M rows (once per closed day, off the check's path)`,
    );
    const reference = await buildReferenceProfile(pool, { featureSet: smallSet, window: refWindow }, FEATURES, {
      bins: 10,
      maxCategories: 50,
    });
    log(`reference: ${reference.rows} rows`);
    const specs = Object.fromEntries(Object.entries(reference.features).map(([f, r]) => [f, binSpecOf(r)]));

    // 1 + 3: exact vs profiles at --small rows
    const exact = await timed(async () =>
      evaluateDrift(reference, await streamWindowHistogram(pool, { featureSet: smallSet, window }, specs)),
    );
    if (exact.result.currentRows !== small)
      throw new Error(`the exact check counted ${exact.result.currentRows} rows, expected ${small}`);
    log(
      `${label(small)}: exact check ${exact.seconds.toFixed(2)} s, verdict ${exact.result.verdict}, max PSI ${exact.result.maxPsi.toFixed(3)}`,
    );
    const p1 = await profileCheck(pool, smallSet, window, reference, specs);
    if (p1.read.method !== 'profiles' || p1.read.scanned.length)
      throw new Error(`the ${label(small)} check did not read only profiles: ${JSON.stringify(p1.read)}`);
    log(
      `${label(small)}: check from profiles ${(p1.seconds * 1000).toFixed(1)} ms (${p1.read.partitionsFromProfiles} partitions, ${p1.read.rowsScanned} rows scanned), verdict ${p1.evaluation.verdict}, max PSI ${p1.evaluation.maxPsi.toFixed(3)}`,
    );
    let maxDiff = 0;
    let worst = '';
    for (const f of FEATURES) {
      const d = Math.abs(p1.evaluation.features[f]!.psi - exact.result.features[f]!.psi);
      if (d >= maxDiff) [maxDiff, worst] = [d, f];
    }
    log(
      `${label(small)}: max |PSI(profiles) - PSI(exact)| ${maxDiff.toFixed(5)} (${worst}: ${p1.evaluation.features[worst]!.psi.toFixed(4)} vs ${exact.result.features[worst]!.psi.toFixed(4)})`,
    );

    // 2: profiles at --rows
    const pN = await profileCheck(pool, largeSet, window, reference, specs);
    if (pN.evaluation.currentRows !== rows)
      throw new Error(`the ${label(rows)} check counted ${pN.evaluation.currentRows} rows`);
    log(
      `${label(rows)}: check from profiles ${(pN.seconds * 1000).toFixed(1)} ms (${pN.read.partitionsFromProfiles} partitions), verdict ${pN.evaluation.verdict}, max PSI ${pN.evaluation.maxPsi.toFixed(3)}`,
    );

    // 4: the write path with the triggers on vs off
    const ingest = await ingestOnOff(pool, ingestSet, ingestSample);
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    log(
      `write path (writePage, ${fmt(ingestSample)} rows, 5000/page, best of 4, order alternating): open partitions ${fmt(ingest.open[0])} rows/s off, ${fmt(ingest.open[1])} on = ${(ingest.open[1] / ingest.open[0]).toFixed(2)}x; late data into profiled closed days ${fmt(ingest.late[0])} off, ${fmt(ingest.late[1])} on = ${(ingest.late[1] / ingest.late[0]).toFixed(2)}x`,
    );

    // 5: the 1,000-sensor part
    const sensors = await sensorsPart();
    const parts = [
      `profiles ${Math.round(exact.seconds / p1.seconds)}x exact at ${label(small)} rows`,
      `${(pN.seconds / p1.seconds).toFixed(1)}x from ${label(small)} to ${label(rows)}`,
      `max |dPSI| ${maxDiff.toFixed(3)}`,
      sensors,
      `ingest ${(ingest.open[1] / ingest.open[0]).toFixed(2)}x with profiles`,
    ];
    console.log(`fleet: ${parts.join(', ')}`);
  } finally {
    const generated = keep ? [ingestSet] : [smallSet, largeSet, ingestSet];
    if (keep) log(`keeping ${smallSet} and ${largeSet}: measure them again with --reuse ${id}`);
    log('deleting the generated rows and their profiles');
    for (const fs of generated) {
      await pool.query('DELETE FROM features.feature_values WHERE feature_set = $1', [fs]).catch(() => {});
      await pool.query('DELETE FROM features.partition_profile_sets WHERE feature_set = $1', [fs]).catch(() => {});
      await pool.query('DELETE FROM features.feature_writes WHERE feature_set = $1', [fs]).catch(() => {});
    }
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
