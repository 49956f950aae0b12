/**
 * What `ingest --follow` and `retrain --follow` draw, as pure functions of a run's query results:
 * a frame (lines for a terminal, each cut to its width, redrawn in place by src/cli/live-area.ts)
 * and a plain line (for a pipe or a log, printed only when it changes). No I/O and no clock here, so
 * every frame can be tested; the spinner and the indeterminate bar move with `tick`.
 */
import type { IngestProgress } from '../shared/messages/ingest-source';
import type { RetrainStatus } from '../shared/messages/retrain-model';
import type { SpecProgress, TrainModelsProgress } from '../shared/messages/train-models';

export interface FrameOptions {
  /** the terminal's columns; every line of a frame is shorter, so it never wraps */
  width: number;
  /** the poll count: moves the spinner and the indeterminate bar */
  tick: number;
}

/** A bar shorter than this is not worth its columns: the line keeps only its text. */
const MIN_BAR = 8;
const MAX_BAR = 30;
const SPINNER = ['|', '/', '-', '\\'];

const count = (n: number) => n.toLocaleString('en-US');
const percent = (fraction: number) => `${String(Math.floor(clamp01(fraction) * 100)).padStart(3)}%`;

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Cuts a line to fit `width` columns (one spare, so a line never reaches the last column and wraps). */
export function fit(line: string, width: number): string {
  const max = Math.max(1, width - 1);
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 1))}~`;
}

/**
 * `[#####-----]` for a known fraction; `[--<=>-----]`, a block bouncing with `tick`, when the total is
 * unknown (an unbounded source's pages), so the bar never claims a share it cannot know.
 */
export function bar(fraction: number | undefined, inner: number, tick: number): string {
  const n = Math.max(3, inner);
  if (fraction === undefined) {
    const span = n - 3;
    const pos = span === 0 ? 0 : span - Math.abs((tick % (2 * span)) - span);
    return `[${'-'.repeat(pos)}<=>${'-'.repeat(span - pos)}]`;
  }
  const filled = Math.round(clamp01(fraction) * n);
  return `[${'#'.repeat(filled)}${'-'.repeat(n - filled)}]`;
}

/** The bar's inside that fits `width` beside `head` and `text`, or 0 for none (a narrow terminal). */
function barRoom(head: string, text: string, width: number): number {
  const room = Math.min(MAX_BAR, width - 1 - head.length - text.length - 4);
  return room >= MIN_BAR ? room : 0;
}

/** `head [bar] text`, cut to the width; `inner` fixes the bar's length (so several lines line up). */
function withBar(
  head: string,
  fraction: number | undefined,
  text: string,
  o: FrameOptions,
  inner = barRoom(head, text, o.width),
): string {
  return fit(inner > 0 ? `${head} ${bar(fraction, inner, o.tick)} ${text}` : `${head} ${text}`, o.width);
}

// --- ingest --------------------------------------------------------------------------------------

export interface IngestView {
  workflowId: string;
  source: string;
  /** the last `progress` query answer; undefined before the first one */
  progress?: IngestProgress;
  /** why the last query got no answer (no worker polling, a timeout): shown, the last answer kept */
  note?: string;
}

function finishing(p: IngestProgress): boolean {
  return !p.done && p.cursor === null && p.pagesInFlight === 0 && p.pages > 0;
}

function ingestCounts(p: IngestProgress | undefined): string {
  if (!p) return 'waiting for the first page';
  const extra = [
    p.deadLetters ? `${count(p.deadLetters)} dead letters` : undefined,
    p.duplicatesMerged ? `${count(p.duplicatesMerged)} merged` : undefined,
    p.pagesInFlight && !p.done ? `${p.pagesInFlight} in flight` : undefined,
    // every page is in; the watermark and the closed partitions' indexes are still to come
    finishing(p) ? 'all pages in, finishing' : undefined,
  ].filter(Boolean);
  return `pages ${count(p.pages)} · records ${count(p.recordsWritten)} written${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
}

/**
 * One line: a source has no page count up front, so the bar is indeterminate until the run is done
 * (then full), and the counts say how far it got.
 */
export function ingestFrame(v: IngestView, o: FrameOptions): string {
  const done = v.progress?.done === true;
  const head = `${done ? '*' : SPINNER[o.tick % SPINNER.length]} ingest ${v.source}`;
  const lines = [withBar(head, done ? 1 : undefined, ingestCounts(v.progress), o)];
  if (v.note) lines.push(fit(`  (${v.note})`, o.width));
  return lines.join('\n');
}

export function ingestLine(v: IngestView): string {
  return `ingest ${v.source}: ${ingestCounts(v.progress)}${v.progress?.done ? ' · all pages fetched' : ''}${v.note ? ` (${v.note})` : ''}`;
}

// --- retrain -------------------------------------------------------------------------------------

export interface RetrainView {
  workflowId: string;
  model: string;
  status?: RetrainStatus;
  /** the training child's `progress`, while (and after) it trains */
  training?: TrainModelsProgress;
  /** the ingest child's `progress`, while the retrain ingests first */
  ingest?: IngestProgress;
  /** the command that approves the version, shown while the retrain waits for it */
  approveHint?: string;
  note?: string;
}

/** A job's share of the work: H2O's percent while it trains, whole once it ended either way. */
function jobFraction(s: SpecProgress): number {
  return s.state === 'succeeded' || s.state === 'failed' ? 1 : clamp01(s.progress);
}

function jobText(s: SpecProgress): string {
  const metric = s.metricValue !== undefined ? `, metric ${s.metricValue.toFixed(4)}` : '';
  return `${percent(jobFraction(s))} ${s.state}${metric}${s.error ? `: ${s.error}` : ''}`;
}

function phaseText(v: RetrainView): string {
  const s = v.status;
  if (!s) return 'starting';
  const version = s.version !== undefined ? ` · version ${s.version}` : '';
  if (s.phase === 'training' && v.training) {
    const t = v.training;
    const ended = t.specs.filter((j) => j.state === 'succeeded' || j.state === 'failed').length;
    const rows = t.frameRows
      ? ` · ${count(t.frameRows.train)} train / ${count(t.frameRows.validation)} validation rows`
      : '';
    return `training${t.stage === 'training' ? '' : ` (${t.stage})`}: ${ended}/${t.specs.length} jobs done${rows}${t.rebuilds ? ` · rebuilt ${t.rebuilds}x after H2O lost the run` : ''}`;
  }
  if (s.phase === 'ingesting' && v.ingest) return `ingesting ${v.ingest.source}: ${ingestCounts(v.ingest)}`;
  if (s.phase === 'awaiting-approval') return `awaiting approval${version}`;
  return `${s.phase}${version}`;
}

/** The overall share: the jobs' mean while training; unknown before; whole after. */
function overall(v: RetrainView): number | undefined {
  const phase = v.status?.phase;
  if (phase === 'done') return 1;
  const specs = v.training?.specs ?? [];
  if (!specs.length) return undefined;
  return specs.reduce((a, s) => a + jobFraction(s), 0) / specs.length;
}

/** A summary line with the overall bar, then one line per training job with its own bar and percent. */
export function retrainFrame(v: RetrainView, o: FrameOptions): string {
  const done = v.status?.phase === 'done';
  const head = `${done ? '*' : SPINNER[o.tick % SPINNER.length]} retrain ${v.model}`;
  const lines = [withBar(head, overall(v), phaseText(v), o)];
  const specs = v.training?.specs ?? [];
  const name = Math.min(20, Math.max(0, ...specs.map((s) => `${s.specName} (${s.algorithm})`.length)));
  const labels = specs.map((s) => `    ${`${s.specName} (${s.algorithm})`.padEnd(name)}`);
  // one length for every job's bar, the one the longest line leaves room for, so the percents line up
  const inner = Math.min(...specs.map((s, i) => barRoom(labels[i]!, jobText(s), o.width)));
  specs.forEach((s, i) => lines.push(withBar(labels[i]!, jobFraction(s), jobText(s), o, inner)));
  if (v.status?.phase === 'awaiting-approval' && v.approveHint)
    lines.push(fit(`    approve: ${v.approveHint}`, o.width));
  if (v.note) lines.push(fit(`  (${v.note})`, o.width));
  return lines.join('\n');
}

export function retrainLine(v: RetrainView): string {
  const jobs = (v.training?.specs ?? []).map((s) => `${s.specName} ${s.state} ${percent(jobFraction(s)).trim()}`);
  return `retrain ${v.model}: ${phaseText(v)}${jobs.length ? ` · ${jobs.join(' · ')}` : ''}${v.note ? ` (${v.note})` : ''}`;
}
