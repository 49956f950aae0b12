/**
 * bench:ui. The model pages (/ui/) of a model with 1,000 versions (2,999 stage events) and 10,000
 * drift reports, against the same pages of a model with 1 version and 1 report, seeded into the real
 * registry in the same run and served by the inference service in this process: median time of
 * sequential GETs, the two models interleaved (after a warm-up), as a ratio big/small and in ms. A
 * page of 50 versions renders more rows than a page of 1: bounded is the goal, not exactly 1.0x. Flat means the pages read a
 * bounded number of rows whatever the model's history (migration 055's indexes, the pages' LIMITs).
 * The seeded models are removed at the end.
 *
 *   npm run bench:ui [-- --requests 30]
 */
import { loadConfig } from '../src/config';
import { testPool } from '../test/helpers/postgres';
import { startService } from '../test/helpers/serve';
import { uniqueName } from '../test/helpers/temporal';
import { removeSeededModel, seedModel } from '../test/helpers/ui-seed';
import { intArg } from './args';

const REQUESTS = intArg('requests', 30);

/** Median ms of GETs of `a` and `b`, interleaved (a, b, a, b, …) so load on the machine hits both alike, after a warm-up. */
async function medians(a: string, b: string): Promise<[{ ms: number; bytes: number }, { ms: number; bytes: number }]> {
  const get = async (url: string) => {
    const t0 = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
    return { ms: performance.now() - t0, bytes: body.length };
  };
  for (let i = 0; i < 3; i++) await Promise.all([get(a), get(b)]);
  const times: [number[], number[]] = [[], []];
  let bytes: [number, number] = [0, 0];
  for (let i = 0; i < REQUESTS; i++) {
    const x = await get(a);
    const y = await get(b);
    times[0].push(x.ms);
    times[1].push(y.ms);
    bytes = [x.bytes, y.bytes];
  }
  const mid = (t: number[]) => t.sort((p, q) => p - q)[Math.floor(t.length / 2)]!;
  return [
    { ms: mid(times[0]), bytes: bytes[0] },
    { ms: mid(times[1]), bytes: bytes[1] },
  ];
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  const pool = testPool();
  const big = uniqueName('bench_ui_big').replace(/-/g, '_');
  const small = uniqueName('bench_ui_small').replace(/-/g, '_');
  const t0 = performance.now();
  await seedModel(pool, small, 1, 1);
  await seedModel(pool, big, 1000, 10_000);
  console.log(
    `[bench:ui] seeded ${big} (1,000 versions, 2,999 stage events, 10,000 reports) and ${small} (1, 1, 1) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const reportOf = async (m: string) =>
    Number(
      (
        await pool.query<{ id: string }>('SELECT max(id) AS id FROM monitoring.drift_reports WHERE model_name = $1', [
          m,
        ])
      ).rows[0]!.id,
    );
  const service = await startService({ serve: { maxEventLoopDelayMs: 0 }, temporal: cfg.temporal });
  try {
    const pages: [string, (m: string, report: number) => string][] = [
      ['model page', (m) => `/ui/models/${m}`],
      ['older versions', (m) => `/ui/models/${m}?before=2`],
      ['drift report', (m, r) => `/ui/models/${m}/drift/${r}`],
    ];
    const figures: string[] = [];
    for (const [name, path] of pages) {
      const [s, b] = await medians(
        `${service.url}${path(small, await reportOf(small))}`,
        `${service.url}${path(big, await reportOf(big))}`,
      );
      const ratio = b.ms / s.ms;
      console.log(
        `[bench:ui] ${name}: ${b.ms.toFixed(1)} ms (${(b.bytes / 1024).toFixed(0)} KiB) vs ${s.ms.toFixed(1)} ms (${(s.bytes / 1024).toFixed(0)} KiB) = ${ratio.toFixed(2)}x`,
      );
      figures.push(`${name} ${ratio.toFixed(2)}x (${b.ms.toFixed(0)} ms)`);
    }
    const [overview] = await medians(`${service.url}/ui/`, `${service.url}/ui/`);
    const models = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM registry.models')).rows[0]!.n);
    console.log(`[bench:ui] overview of ${models} models: ${overview.ms.toFixed(1)} ms`);
    console.log(
      `ui: 1,000 versions/10,000 reports vs 1/1: ${figures.join(', ')}; overview ${overview.ms.toFixed(0)} ms for ${models} models`,
    );
  } finally {
    await service.close();
    await removeSeededModel(pool, big);
    await removeSeededModel(pool, small);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
