/**
 * What `ingest --follow` and `retrain --follow` draw: frames for known and unknown totals, job
 * percents, narrow terminals, plain lines for pipes, the in-place redraw (replayed on a small
 * terminal model), and how a failed run is described.
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TerminatedFailure,
} from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describeFailure, failureLines } from '../../src/cli/follow';
import { LiveArea, redraw } from '../../src/cli/live-area';
import {
  bar,
  fit,
  ingestFrame,
  ingestLine,
  retrainFrame,
  retrainLine,
  type IngestView,
  type RetrainView,
} from '../../src/cli/progress-frame';
import { shellQuote } from '../../src/cli/run-links';
import type { IngestProgress } from '../../src/shared/messages/ingest-source';
import type { SpecProgress } from '../../src/shared/messages/train-models';

const ESC = '\x1b';

function ingestProgress(pages: number, written: number, extra: Partial<IngestProgress> = {}): IngestProgress {
  return {
    source: 'orders',
    pages,
    recordsSeen: written,
    recordsWritten: written,
    deadLetters: 0,
    deadPages: 0,
    duplicatesMerged: 0,
    maxEventTime: null,
    cursor: String(pages + 1),
    pagesInFlight: 2,
    continuedAsNew: 0,
    done: false,
    ...extra,
  };
}
const ingestView = (progress?: IngestProgress): IngestView => ({
  workflowId: 'ingest-orders-1',
  source: 'orders',
  progress,
});

function spec(
  specName: string,
  state: SpecProgress['state'],
  progress: number,
  extra: Partial<SpecProgress> = {},
): SpecProgress {
  return { specName, algorithm: specName === 'glm' ? 'glm' : 'gbm', state, progress, ...extra };
}
function retrainView(
  specs: SpecProgress[],
  phase: NonNullable<RetrainView['status']>['phase'] = 'training',
): RetrainView {
  return {
    workflowId: 'retrain-churn',
    model: 'churn',
    status: { phase },
    training: { stage: 'training', specs, frameRows: { train: 2400, validation: 600 } },
  };
}

/** The bar's inside: what lies between its brackets. */
const barOf = (line: string) => /\[([#<=>-]+)\]/.exec(line)?.[1];

/** A terminal `width` columns wide, enough of one to replay what LiveArea writes: text, \n, \r, CSI n A, 2K, J. */
function replay(bytes: string): string[] {
  const screen: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i]!;
    if (ch === ESC) {
      const m = new RegExp(`^${ESC}\\[(\\??\\d*)([A-Za-z])`).exec(bytes.slice(i))!;
      const [all, arg, cmd] = m;
      if (cmd === 'A') row = Math.max(0, row - Number(arg || 1));
      if (cmd === 'K') screen[row] = '';
      if (cmd === 'J') screen.splice(row + 1);
      i += all!.length - 1;
    } else if (ch === '\n') {
      row++;
      col = 0;
      while (screen.length <= row) screen.push('');
    } else if (ch === '\r') col = 0;
    else {
      const line = screen[row]!.padEnd(col);
      screen[row] = line.slice(0, col) + ch + line.slice(col + 1);
      col++;
    }
  }
  return screen;
}

describe('bars', () => {
  it('fill in proportion to a known fraction, clamped, always the same width', () => {
    expect(bar(0.5, 10, 0)).toBe('[#####-----]');
    expect(bar(0, 10, 0)).toBe('[----------]');
    expect(bar(1, 10, 0)).toBe('[##########]');
    expect(bar(1.7, 10, 0)).toBe('[##########]');
    expect(bar(Number.NaN, 10, 0)).toBe('[----------]');
    expect(bar(0.333, 12, 0)).toBe('[####--------]');
  });

  it('move a block back and forth for an unknown total, never claiming a share', () => {
    const frames = Array.from({ length: 20 }, (_, t) => bar(undefined, 10, t));
    for (const f of frames) {
      expect(f).toHaveLength(12);
      expect(f).toContain('<=>');
      expect(f).not.toContain('#');
    }
    expect(new Set(frames).size).toBe(8); // every position of a 3-wide block in 10
    expect(frames[0]).toBe('[<=>-------]');
    expect(frames[7]).toBe('[-------<=>]');
    expect(frames[8]).toBe('[------<=>-]');
  });

  it('fit cuts a line one column short of the width, marking the cut', () => {
    expect(fit('abcdef', 10)).toBe('abcdef');
    expect(fit('abcdefghijkl', 10)).toBe('abcdefgh~');
    expect(fit('abc', 1)).toBe('~');
  });
});

describe('ingest frames', () => {
  it('before the first answer: an indeterminate bar and what it waits for', () => {
    const f = ingestFrame(ingestView(), { width: 100, tick: 0 });
    expect(f).toContain('ingest orders');
    expect(f).toContain('waiting for the first page');
    expect(barOf(f)).toContain('<=>');
  });

  it('while pages come in: pages and records, with an indeterminate bar (a source has no page total) and no percent', () => {
    const f = ingestFrame(ingestView(ingestProgress(12, 1200)), { width: 100, tick: 3 });
    expect(f.split('\n')).toHaveLength(1);
    expect(f).toContain('pages 12 · records 1,200 written · 2 in flight');
    expect(barOf(f)).toContain('<=>');
    expect(f).not.toMatch(/%/);
    // the spinner and the block move with the tick
    expect(ingestFrame(ingestView(ingestProgress(12, 1200)), { width: 100, tick: 4 })).not.toBe(f);
  });

  it('dead letters and merged duplicates show when there are some', () => {
    const f = ingestFrame(ingestView(ingestProgress(3, 290, { deadLetters: 7, duplicatesMerged: 3 })), {
      width: 120,
      tick: 0,
    });
    expect(f).toContain('7 dead letters · 3 merged');
  });

  it('every page in but the run not ended (watermark, indexes): says it is finishing', () => {
    const f = ingestFrame(ingestView(ingestProgress(40, 4000, { cursor: null, pagesInFlight: 0 })), {
      width: 100,
      tick: 0,
    });
    expect(f).toContain('pages 40 · records 4,000 written · all pages in, finishing');
    expect(barOf(f)).toContain('<=>');
    // before the first answer of a run the cursor is null too, with no pages: not finishing
    expect(ingestLine(ingestView(ingestProgress(0, 0, { cursor: null, pagesInFlight: 0 })))).not.toContain('finishing');
  });

  it('done: a full bar, no pages in flight', () => {
    const f = ingestFrame(ingestView(ingestProgress(40, 4000, { done: true, pagesInFlight: 0 })), {
      width: 100,
      tick: 9,
    });
    expect(barOf(f)).toMatch(/^#+$/);
    expect(f).toMatch(/^\* ingest orders/);
    expect(f).not.toContain('in flight');
  });

  it('a query that got no answer shows as a note under the last counts', () => {
    const f = ingestFrame(
      { ...ingestView(ingestProgress(2, 200)), note: 'no progress answer yet: deadline exceeded' },
      { width: 100, tick: 0 },
    );
    expect(f.split('\n')).toEqual([
      expect.stringContaining('pages 2'),
      '  (no progress answer yet: deadline exceeded)',
    ]);
  });
});

describe('retrain frames', () => {
  const view = retrainView([
    spec('glm', 'succeeded', 1, { metricValue: 0.81234 }),
    spec('gbm', 'training', 0.423),
    spec('drf', 'queued', 0),
  ]);

  it('one line per training job with its bar and H2O percent, under a summary with the overall bar', () => {
    const lines = retrainFrame(view, { width: 100, tick: 0 }).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('retrain churn');
    expect(lines[0]).toContain('training: 1/3 jobs done · 2,400 train / 600 validation rows');
    expect(lines[1]).toMatch(/glm \(glm\)\s+\[#+\] 100% succeeded, metric 0\.8123/);
    expect(lines[2]).toMatch(/gbm \(gbm\)\s+\[#+-+\] {2}42% training/);
    expect(lines[3]).toMatch(/drf \(gbm\)\s+\[-+\] {3}0% queued/);
    // the overall bar is the mean of the jobs: (1 + 0.423 + 0) / 3 ≈ 47%
    const overall = barOf(lines[0]!)!;
    expect(overall.replace(/-/g, '').length / overall.length).toBeCloseTo(0.47, 1);
    // a job's bar is as long as the others', so the percents line up
    expect(new Set(lines.slice(1).map((l) => l.indexOf(']'))).size).toBe(1);
  });

  it('a failed job counts as ended and shows its error', () => {
    const f = retrainFrame(retrainView([spec('gbm', 'failed', 0.3, { error: 'H2OError: boom' })]), {
      width: 100,
      tick: 0,
    });
    expect(f).toContain('100% failed: H2OError: boom');
    expect(f).toContain('1/1 jobs done');
  });

  it('before training: the phase, an indeterminate bar; ingesting first shows the pages; awaiting approval shows how to approve', () => {
    expect(retrainFrame({ workflowId: 'retrain-churn', model: 'churn' }, { width: 100, tick: 0 })).toContain(
      'starting',
    );
    const resolving = retrainFrame(
      { workflowId: 'retrain-churn', model: 'churn', status: { phase: 'resolving' } },
      { width: 100, tick: 1 },
    );
    expect(resolving).toContain('resolving');
    expect(barOf(resolving)).toContain('<=>');
    const ingesting = retrainFrame(
      {
        workflowId: 'retrain-churn',
        model: 'churn',
        status: { phase: 'ingesting', ingestSource: 'orders' },
        ingest: ingestProgress(5, 500),
      },
      { width: 120, tick: 0 },
    );
    expect(ingesting).toContain('ingesting orders: pages 5 · records 500 written');
    const waiting = retrainFrame(
      {
        workflowId: 'retrain-churn',
        model: 'churn',
        status: { phase: 'awaiting-approval', version: 4 },
        approveHint: 'npm run temporal -- workflow update execute …',
      },
      { width: 120, tick: 0 },
    );
    expect(waiting.split('\n')).toEqual([
      expect.stringContaining('awaiting approval · version 4'),
      '    approve: npm run temporal -- workflow update execute …',
    ]);
  });

  it('done: full bars', () => {
    const f = retrainFrame(
      {
        ...retrainView([spec('glm', 'succeeded', 1), spec('gbm', 'succeeded', 1)], 'done'),
        status: { phase: 'done', version: 3 },
      },
      { width: 100, tick: 0 },
    );
    expect(
      f
        .split('\n')
        .map(barOf)
        .every((b) => b && /^#+$/.test(b)),
    ).toBe(true);
    expect(f).toContain('done · version 3');
  });
});

describe('narrow terminals', () => {
  const retrain = retrainView([spec('a-very-long-spec-name-indeed', 'training', 0.5), spec('gbm', 'training', 0.1)]);
  const ingest = ingestView(ingestProgress(123456, 98765432, { deadLetters: 12, duplicatesMerged: 4 }));

  it('no line of any frame reaches the last column, at any width', () => {
    for (let width = 8; width <= 200; width++) {
      for (const frame of [
        ingestFrame(ingest, { width, tick: width }),
        retrainFrame(retrain, { width, tick: width }),
      ]) {
        for (const line of frame.split('\n')) expect(line.length, `width ${width}: ${line}`).toBeLessThan(width);
      }
    }
  });

  it('when the text leaves a bar fewer than 8 columns, the bar goes and the counts stay', () => {
    const f = ingestFrame(ingestView(ingestProgress(12, 1200)), { width: 47, tick: 0 });
    expect(barOf(f)).toBeUndefined();
    expect(f).toContain('pages 12');
    const r = retrainFrame(retrainView([spec('gbm', 'training', 0.42)]), { width: 32, tick: 0 }).split('\n');
    expect(barOf(r[1]!)).toBeUndefined();
    expect(r[1]).toContain('42% training');
    // wide enough: the jobs' bars share one length, the one the longest line leaves room for
    const mid = retrainFrame(
      retrainView([spec('glm', 'succeeded', 1, { metricValue: 0.8 }), spec('gbm', 'training', 0.42)]),
      { width: 60, tick: 0 },
    ).split('\n');
    expect(barOf(mid[1]!)!.length).toBe(barOf(mid[2]!)!.length);
    expect(barOf(mid[1]!)!.length).toBeLessThan(30);
  });

  it('a stage other than training is named', () => {
    const v = retrainView([spec('gbm', 'queued', 0)]);
    expect(
      retrainFrame({ ...v, training: { ...v.training!, stage: 'extracting' } }, { width: 100, tick: 0 }),
    ).toContain('training (extracting): 0/1 jobs done');
  });
});

describe('plain lines (not a terminal)', () => {
  it('say the same as the frames, without bars, spinners or escapes', () => {
    const i = ingestLine(ingestView(ingestProgress(12, 1200)));
    expect(i).toBe('ingest orders: pages 12 · records 1,200 written · 2 in flight');
    const r = retrainLine(retrainView([spec('glm', 'succeeded', 1), spec('gbm', 'training', 0.423)]));
    expect(r).toBe(
      'retrain churn: training: 1/2 jobs done · 2,400 train / 600 validation rows · glm succeeded 100% · gbm training 42%',
    );
    for (const l of [i, r]) expect(l).not.toMatch(new RegExp(`[${ESC}[\\]|\\\\]`));
  });

  it('LiveArea on a pipe prints a line only when it changed, and nothing else', () => {
    let written = '';
    const area = new LiveArea({ write: (t: string) => (written += t) }, false);
    area.update('frame 1', 'pages 1');
    area.update('frame 2', 'pages 1');
    area.update('frame 3', 'pages 2');
    area.close();
    expect(written).toBe('pages 1\npages 2\n');
  });
});

describe('in-place redraw (a terminal)', () => {
  it('redraw goes back to the first line of the area, clears each line and what is below', () => {
    expect(redraw(0, 'a\nb')).toBe(`${ESC}[2Ka\n${ESC}[2Kb${ESC}[J`);
    expect(redraw(1, 'c')).toBe(`\r${ESC}[2Kc${ESC}[J`);
    expect(redraw(3, 'c')).toBe(`\r${ESC}[2A${ESC}[2Kc${ESC}[J`);
  });

  it('the screen shows only the latest frame, after what was printed before, however its height changes', () => {
    let written = 'started ingest of orders\n';
    const area = new LiveArea({ write: (t: string) => (written += t) }, true);
    area.update('one\ntwo\nthree', '');
    area.update('a longer first line\nb', '');
    expect(replay(written)).toEqual(['started ingest of orders', 'a longer first line', 'b']);
    area.update('x\ny\nz\nw', '');
    area.close();
    written += 'done: 3 records written\n';
    expect(replay(written)).toEqual(['started ingest of orders', 'x', 'y', 'z', 'w', 'done: 3 records written', '']);
    expect(written.startsWith(`started ingest of orders\n${ESC}[?25l`)).toBe(true); // cursor hidden while drawing…
    expect(written).toContain(`${ESC}[?25h`); // …and shown again
  });
});

describe('failures', () => {
  it('names the innermost failure and where it happened, through the child and the activity', () => {
    const app = ApplicationFailure.create({
      type: 'ValidationError',
      message: 'model="nope" is invalid: declared in MODELS_CONFIG',
      nonRetryable: true,
    });
    const activity = new ActivityFailure(
      'activity failed',
      'resolveModelConfig',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker',
      app,
    );
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'retrain-x-train-1', runId: 'r' },
      'trainModels',
      RetryState.NON_RETRYABLE_FAILURE,
      activity,
    );
    const err = new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE);
    expect(describeFailure(err)).toEqual({
      type: 'ValidationError',
      message: 'model="nope" is invalid: declared in MODELS_CONFIG',
      where: ['child trainModels retrain-x-train-1', 'activity resolveModelConfig'],
    });
    expect(failureLines(err)[0]).toBe('failed: ValidationError: model="nope" is invalid: declared in MODELS_CONFIG');
  });

  it('a terminated run says so', () => {
    const err = new WorkflowFailedError(
      'Workflow execution terminated',
      new TerminatedFailure('by alice'),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeFailure(err)).toMatchObject({ type: 'terminated', message: 'by alice' });
  });
});

describe('printed commands', () => {
  it('quote what a shell would split or expand, and leave plain ids alone', () => {
    expect(shellQuote('ingest-orders-2026-12-02T01-00-00-000Z')).toBe('ingest-orders-2026-12-02T01-00-00-000Z');
    expect(shellQuote("it's a $name")).toBe(`'it'\\''s a $name'`);
  });
});
