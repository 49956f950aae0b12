/**
 * bench:serve part 2 (bench/serve.bench.ts runs it): the inference service over HTTP. The service runs
 * in this process, autocannon in a child process (so the load generator does not share the event loop).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { loadConfig, projectRoot } from '../src/config';
import { createPool } from '../src/postgres';
import { promoteVersion, registerVersion } from '../src/registry';
import { fakeCandidate, writeModelsConfig } from '../test/stack/drift.dataset';
import { startService } from '../test/helpers/serve';

const run = promisify(execFile);

export interface HttpFigures {
  /** single-row predict req/s over the empty route's */
  ratio: number;
  p99Ms: number;
  /** 10,000-row requests: pool req/s over inline req/s */
  batchRatio: number;
  rssMb: number;
}

interface Cannon {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Alternating rounds of the single-row comparison (predict, then the empty route, each round). */
const HTTP_ROUNDS = 3;

/** The run of median throughput (its p99 and errors with it); errors of every run counted. */
function medianRun(runs: Cannon[]): Cannon {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return {
    ...mid,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}

/** `body` is a file (`-i`): a 10,000-row body is too large for a command line. */
async function cannon(url: string, body: string, connections: number, seconds: number): Promise<Cannon> {
  const { stdout } = await run(
    process.execPath,
    [
      join(projectRoot, 'node_modules', 'autocannon', 'autocannon.js'),
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-i',
      body,
      '--json',
      url,
    ],
    { maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  };
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function httpFigures(opts: {
  mojos: Record<string, string>;
  rows: Record<string, string>[];
  seconds: number;
  dir: string;
}): Promise<HttpFigures> {
  const cfg = loadConfig();
  const pool = createPool(cfg.postgres, 'bench-serve');
  const stamp = Date.now();
  const register = async (model: string, path: string) => {
    const c = await pool.connect();
    try {
      const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
      const { version } = await registerVersion(c, {
        candidate: { ...fakeCandidate(model), artifactPath: path, artifactSha256: sha },
        workflowId: `bench-${stamp}`,
        runId: model,
        serving: { servable: true, problem: null },
      });
      await promoteVersion(c, { model, version, reason: 'bench:serve' });
    } finally {
      c.release();
    }
  };
  try {
    const model = `bench_serve_${stamp}`;
    await register(model, opts.mojos.gbm!);
    const one = join(opts.dir, 'one-row.json');
    writeFileSync(one, JSON.stringify({ rows: [opts.rows[0]] }));
    const batch = join(opts.dir, 'batch-10000.json');
    writeFileSync(batch, JSON.stringify({ rows: opts.rows.slice(0, 10_000) }));

    // single rows against the empty route of the same server
    const service = await startService({
      declared: [model],
      configure: (app) => app.post('/bench/empty', async () => ({})),
    });
    let single: Cannon;
    let empty: Cannon;
    try {
      // Both routes warmed up, then measured in alternating rounds, each figure the median of its
      // rounds: on two cores one long run of each drifts with whatever else the machine does, and
      // measuring one route always first or cold biases the ratio.
      await cannon(`${service.url}/v1/models/${model}/predict`, one, 16, 2);
      await cannon(`${service.url}/bench/empty`, one, 16, 2);
      const singles: Cannon[] = [];
      const empties: Cannon[] = [];
      for (let round = 0; round < HTTP_ROUNDS; round++) {
        singles.push(await cannon(`${service.url}/v1/models/${model}/predict`, one, 16, opts.seconds));
        empties.push(await cannon(`${service.url}/bench/empty`, one, 16, opts.seconds));
      }
      single = medianRun(singles);
      empty = medianRun(empties);
    } finally {
      await service.close();
    }
    console.log(
      `http single row, 16 connections: predict ${Math.round(single.rps)} req/s (p99 ${single.p99} ms, ${single.errors + single.non2xx} errors), empty route ${Math.round(empty.rps)} req/s (p99 ${empty.p99} ms)`,
    );

    // 10,000-row requests: the pool against inline, same server code, 4 requests in flight
    const batches: Record<'pool' | 'inline', Cannon> = {} as Record<'pool' | 'inline', Cannon>;
    for (const [name, poolMinRows, poolMinCells] of [
      ['pool', 64, 4096],
      ['inline', 1_000_000, 1_000_000_000],
    ] as const) {
      // Shedding off: inline batches block the loop by design here, and a 503 is not a scored batch.
      const s = await startService({
        declared: [model],
        serve: { poolMinRows, poolMinCells, maxEventLoopDelayMs: 0 },
      });
      try {
        await cannon(`${s.url}/v1/models/${model}/predict`, batch, 4, 2);
        batches[name] = await cannon(`${s.url}/v1/models/${model}/predict`, batch, 4, opts.seconds);
      } finally {
        await s.close();
      }
      console.log(
        `http 10,000-row batches, 4 in flight, ${name}: ${batches[name].rps.toFixed(2)} req/s (${Math.round(batches[name].rps * 10_000)} rows/s, p99 ${batches[name].p99} ms, ${batches[name].errors + batches[name].non2xx} errors)`,
      );
    }

    // RSS of a real service process with 10 loaded models
    const names = Array.from({ length: 10 }, (_, i) => `bench_rss_${stamp}_${i}`);
    const kinds = ['gbm', 'gbm', 'gbm', 'gbm', 'drf', 'drf', 'drf', 'glm', 'glm', 'glm'];
    for (let i = 0; i < 10; i++) await register(names[i]!, opts.mojos[kinds[i]!]!);
    const port = await freePort();
    const modelsConfig = writeModelsConfig(Object.fromEntries(names.map((n) => [n, { featureSet: 'bench' }])));
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'serving', 'main.ts')], {
      cwd: projectRoot,
      env: { ...process.env, SERVE_PORT: String(port), MODELS_CONFIG: modelsConfig },
      stdio: 'ignore',
    });
    let rssMb = 0;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ok = await request(`http://127.0.0.1:${port}/readyz`)
          .then((r) => (r.body.dump(), r.statusCode === 200))
          .catch(() => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error('the service with 10 models did not become ready in 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      rssMb = Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
    } finally {
      child.kill('SIGTERM');
    }
    console.log(
      `rss of npm run serve with 10 loaded models (4 GBM of 100 trees, 3 DRF of 50 trees of depth 12, 3 GLM): ${rssMb} MB`,
    );
    return {
      ratio: single.rps / empty.rps,
      p99Ms: single.p99,
      batchRatio: batches.pool.rps / batches.inline.rps,
      rssMb,
    };
  } finally {
    await pool.end();
  }
}
