/**
 * Bins a COPY text stream on worker threads. On the main thread `JSON.parse` + binning (~4 µs a row)
 * is the bottleneck of `streamWindowHistogram`; here the main thread only cuts the stream at newlines
 * into ~1 MB buffers and transfers them (no copy) to `threads` workers, each with its own
 * HistogramAccumulator; their counts are summed at the end. At most two buffers per worker plus the
 * one being filled exist (~1 MB each, recycled): when all are out, reading stops until a worker gives
 * one back, which pauses the COPY stream, so memory does not grow with the window.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BinSpec, WindowHistogram } from '../shared/drift';
import type { FromWorker, ToWorker } from './histogram-worker';
import { addHistogram } from '../shared/drift/feature-profile';

const BUFFER_BYTES = 1 << 20;
const IN_FLIGHT_PER_WORKER = 2;
const NEWLINE = 0x0a;

/** Worker entry next to this file: .js once compiled to dist/, .ts under tsx (vitest, benches, dev). */
function startWorker(specs: Record<string, BinSpec>): Worker {
  const ext = extname(__filename);
  const file = join(__dirname, `histogram-worker${ext}`);
  if (ext !== '.ts') return new Worker(file, { workerData: { specs } });
  // Node 20 does not load a .ts worker entry, neither through the parent's `--import tsx` nor with it
  // in the worker's execArgv ("Unknown file extension"), and vitest registers nothing for workers: so
  // the worker registers tsx's require hook (the project is CommonJS) before loading the entry.
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData: { specs } });
}

/** Bins every complete line of `chunks` (COPY text of JSON documents); `onRows` gets the running row count. */
export async function threadedCopyHistogram(
  chunks: AsyncIterable<Buffer>,
  specs: Record<string, BinSpec>,
  threads: number,
  onRows?: (rows: number) => void,
): Promise<WindowHistogram> {
  const workers = Array.from({ length: threads }, () => ({
    worker: startWorker(specs),
    inFlight: 0,
    result: undefined as WindowHistogram | undefined,
  }));
  const free: Array<Buffer<ArrayBuffer>> = [];
  let allocated = 1;
  let rows = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitForWorker = () => new Promise<void>((resolve) => (wake = resolve));
  for (const w of workers) {
    w.worker.on('message', (msg: FromWorker) => {
      if ('result' in msg) w.result = msg.result;
      else {
        w.inFlight--;
        free.push(Buffer.from(msg.buffer));
        rows += msg.rows;
        onRows?.(rows);
      }
      notify();
    });
    w.worker.on('error', (err) => {
      failure ??= err;
      notify();
    });
    w.worker.on('exit', (code) => {
      failure ??= new Error(`histogram worker exited with code ${code}`);
      notify();
    });
  }
  const check = () => {
    if (failure) throw failure;
  };
  /** A buffer of at least `bytes`: a returned one, a new one while under the cap, or wait for a return. */
  const take = async (bytes: number): Promise<Buffer<ArrayBuffer>> => {
    for (;;) {
      check();
      const i = free.findIndex((b) => b.length >= bytes);
      if (i !== -1) return free.splice(i, 1)[0]!;
      if (allocated < threads * IN_FLIGHT_PER_WORKER + 1) {
        allocated++;
        return Buffer.allocUnsafeSlow(Math.max(bytes, BUFFER_BYTES)); // own ArrayBuffer, safe to transfer
      }
      await waitForWorker();
    }
  };
  const send = (buf: Buffer<ArrayBuffer>, length: number) => {
    const w = workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    w.inFlight++;
    w.worker.postMessage({ buffer: buf.buffer, length } satisfies ToWorker, [buf.buffer]);
  };

  try {
    let buf = Buffer.allocUnsafeSlow(BUFFER_BYTES);
    let fill = 0;
    for await (const chunk of chunks) {
      for (let off = 0; off < chunk.length;) {
        const n = Math.min(chunk.length - off, buf.length - fill);
        chunk.copy(buf, fill, off, off + n);
        fill += n;
        off += n;
        if (fill < buf.length) continue;
        const cut = buf.lastIndexOf(NEWLINE, fill - 1) + 1;
        if (cut === 0) {
          // one line longer than the buffer: grow it (the bigger buffer is recycled like the others)
          const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
          buf.copy(bigger, 0, 0, fill);
          buf = bigger;
          continue;
        }
        const next = await take(fill - cut);
        buf.copy(next, 0, cut, fill);
        send(buf, cut);
        buf = next;
        fill -= cut;
      }
    }
    // COPY ends every row with a newline; like the single-thread reader, a partial last line is ignored
    if (fill > 0) send(buf, fill);
    for (const w of workers) w.worker.postMessage('end' satisfies ToWorker);
    while (workers.some((w) => !w.result)) {
      check();
      await waitForWorker();
    }
    const [first, ...rest] = workers.map((w) => w.result!);
    for (const part of rest) addHistogram(first!, part);
    return first!;
  } finally {
    for (const w of workers) {
      w.worker.removeAllListeners('exit');
      void w.worker.terminate();
    }
  }
}
