/**
 * Following a run from the CLI: poll its queries every interval, draw each answer (src/cli/live-area.ts
 * with src/cli/progress-frame.ts), and stop when the run ends or the user interrupts. Interrupting
 * only stops the polling: nothing here cancels, signals or terminates the run.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { LiveArea, type Output } from './live-area';
import type { FrameOptions } from './progress-frame';
import { printable } from './terminal-text';

/** Between polls: often enough for a bar to look alive, rarely enough to cost the server nothing. */
export const FOLLOW_INTERVAL_MS = 500;

export interface Followed<V extends { note?: string }, R> {
  initial: V;
  /** one round of queries; what it throws is shown as the view's note, the last answers kept */
  poll(previous: V): Promise<V>;
  frame(view: V, options: FrameOptions): string;
  line(view: V): string;
  /** settles when the run ends (the handle's result()) */
  result: Promise<R>;
  /** the view drawn last when the run completed, from its result (which is more certain than a query) */
  finish?(view: V, result: R): V;
}

export type FollowOutcome<V, R> =
  | { kind: 'completed'; view: V; result: R }
  | { kind: 'failed'; view: V; error: unknown }
  | { kind: 'interrupted'; view: V };

export interface FollowIo {
  out: Output;
  tty: boolean;
  /** the terminal's width now (it may be resized while following) */
  columns(): number;
  /** resolves when the user asks to stop following (SIGINT) */
  interrupted: Promise<void>;
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), ms).unref());

export async function follow<V extends { note?: string }, R>(
  run: Followed<V, R>,
  io: FollowIo,
): Promise<FollowOutcome<V, R>> {
  const area = new LiveArea(io.out, io.tty);
  const ended = run.result.then(
    (result) => ({ kind: 'completed' as const, result }),
    (error: unknown) => ({ kind: 'failed' as const, error }),
  );
  const stop = io.interrupted.then(() => 'interrupted' as const);
  let view = run.initial;
  let tick = 0;
  const poll = async () => {
    try {
      const next = await run.poll(view);
      view = { ...next, note: undefined };
    } catch (err) {
      view = { ...view, note: `no progress answer yet: ${(err as Error).message}` };
    }
  };
  const draw = () => area.update(run.frame(view, { width: io.columns(), tick: tick++ }), run.line(view));
  try {
    for (;;) {
      if ((await Promise.race([poll().then(() => 'polled' as const), ended, stop])) === 'interrupted')
        return { kind: 'interrupted', view };
      draw();
      const next = await Promise.race([ended, stop, sleep(io.intervalMs ?? FOLLOW_INTERVAL_MS)]);
      if (next === 'interrupted') return { kind: 'interrupted', view };
      if (next !== 'tick') {
        // one last round, so the frame left on screen shows where the run ended
        const polled = (await Promise.race([poll().then(() => 'polled' as const), stop])) === 'polled';
        if (next.kind === 'completed' && run.finish) view = run.finish(view, next.result);
        if (polled || (next.kind === 'completed' && run.finish)) draw();
        return next.kind === 'completed'
          ? { kind: 'completed', view, result: next.result }
          : { kind: 'failed', view, error: next.error };
      }
    }
  } finally {
    area.close();
  }
}

/** SIGINT (Ctrl-C) while following: resolves `interrupted` instead of ending the process. */
export function onInterrupt(): { interrupted: Promise<void>; dispose(): void } {
  let handler: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => {
    handler = () => resolve();
  });
  // `on`, not `once`: tsx relays the terminal's SIGINT too, so one Ctrl-C can arrive twice
  process.on('SIGINT', handler);
  return { interrupted, dispose: () => process.off('SIGINT', handler) };
}

export interface FailureText {
  /** the failure type (ApplicationFailure's, e.g. ValidationError), or the kind of end (cancelled, terminated, timed out) */
  type: string;
  message: string;
  /** where it happened, outermost first: `child trainModels retrain-x-train-…`, `activity resolveModelConfig` */
  where: string[];
}

/** The innermost cause of a failed run, with the children and activities it passed through. */
export function describeFailure(err: unknown): FailureText {
  const where: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 20 && current instanceof Error; depth++) {
    if (current instanceof ChildWorkflowFailure)
      where.push(`child ${current.workflowType} ${current.execution.workflowId}`);
    if (current instanceof ActivityFailure) where.push(`activity ${current.activityType}`);
    const cause = (current as Error & { cause?: unknown }).cause;
    if (!(cause instanceof Error)) break;
    current = cause;
  }
  const e = current as Error;
  const type =
    e instanceof ApplicationFailure
      ? (e.type ?? 'Error')
      : e instanceof CancelledFailure
        ? 'cancelled'
        : e instanceof TerminatedFailure
          ? 'terminated'
          : e instanceof TimeoutFailure
            ? 'timed out'
            : (e?.name ?? 'Error');
  return { type, message: e?.message ?? String(err), where };
}

/** How a failed run is printed: `failed: <type>: <message>`, then where. */
export function failureLines(err: unknown): string[] {
  const f = describeFailure(err);
  // a run's failure quotes outside text (a source's error body): printed escaped
  return [`failed: ${printable(f.type)}: ${printable(f.message)}`, ...f.where.map((w) => `  in ${printable(w)}`)];
}

/** How an interrupted follow ends: the run goes on, and how to find it again. */
export function interruptedLines(again: string, describe: string): string[] {
  return [
    'stopped following: the run continues (Ctrl-C never cancels it).',
    `  follow it again  ${again}`,
    `  describe it     ${describe}`,
  ];
}

/** The terminal's side of a follow: stdout, whether it is a TTY, its width, and Ctrl-C. */
export function terminalIo(interrupted: Promise<void>): FollowIo {
  return {
    out: process.stdout,
    tty: process.stdout.isTTY === true,
    columns: () => process.stdout.columns || 80,
    interrupted,
  };
}

/** Prints how a follow ended and gives the command's exit code: 0 done, 1 failed, 130 interrupted. */
export function reportOutcome<V, R>(
  outcome: FollowOutcome<V, R>,
  summary: (result: R) => string,
  again: string,
  describe: string,
): number {
  if (outcome.kind === 'interrupted') {
    console.log(interruptedLines(again, describe).join('\n'));
    return 130;
  }
  if (outcome.kind === 'failed') {
    console.error(failureLines(outcome.error).join('\n'));
    return 1;
  }
  console.log(summary(outcome.result));
  return 0;
}
