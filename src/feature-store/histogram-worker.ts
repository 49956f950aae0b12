/**
 * Worker thread of `threadedCopyHistogram`: JSON.parse and binning, the part of a window read that
 * costs the main thread ~4 µs a row. It receives whole COPY lines in transferred buffers, gives each
 * buffer back once binned (so the reader reuses it and memory stays flat), and returns its counts
 * when told 'end'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HistogramAccumulator, type BinSpec } from '../shared/drift';

/** Sent by the reader: `length` bytes of complete lines, or the end of the stream. */
export type ToWorker = { buffer: ArrayBuffer; length: number } | 'end';
/** Sent back: a binned buffer (returned for reuse) with its row count, or the final counts. */
export type FromWorker = { buffer: ArrayBuffer; rows: number } | { result: ReturnType<HistogramAccumulator['result']> };

const port = parentPort!;
const acc = new HistogramAccumulator((workerData as { specs: Record<string, BinSpec> }).specs);

port.on('message', (msg: ToWorker) => {
  if (msg === 'end') {
    port.postMessage({ result: acc.result() } satisfies FromWorker);
    return;
  }
  // One decode per buffer instead of one per line. COPY text doubles backslashes; jsonb's JSON text
  // has no raw tabs or newlines, so undoing that on the whole buffer equals doing it line by line.
  const raw = Buffer.from(msg.buffer, 0, msg.length).toString('utf8');
  const text = raw.includes('\\') ? raw.replace(/\\\\/g, '\\') : raw;
  let rows = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    acc.add(JSON.parse(text.slice(start, nl)) as Record<string, unknown>);
    start = nl + 1;
    rows++;
  }
  port.postMessage({ buffer: msg.buffer, rows } satisfies FromWorker, [msg.buffer]);
});
