/**
 * checkMojoInThread: a MOJO is loaded and checked in a thread with a bounded heap and time, so a file
 * the scorer allocates without bound on (a tree count of fifty million) or takes too long on costs
 * that thread: the caller gets a MojoError naming the file and the limit, and lives on. Refusals the
 * scorer makes come back whole (file, setting, reason), and golden rows are checked in the thread too.
 */
import { describe, expect, it } from 'vitest';
import { rejection } from '../helpers/refusals';
import { MojoError } from '../../src/shared/errors';
import { checkMojoInThread, GOLDEN_MAX_BYTES, loadMojoChecked } from '../../src/mojo/checked-load';
import { loadMojo } from '../../src/mojo/load';
import { glmMojo, goldenBomb } from '../helpers/hand-mojos';
import { writeZip } from '../helpers/zip-writer';

const refusal = (p: Promise<unknown>): Promise<MojoError> => rejection<MojoError>(p);

describe('checkMojoInThread', () => {
  it('golden rows that would parse to many times their size are refused before any thread parses them', async () => {
    const bomb = goldenBomb();
    const err = await refusal(
      checkMojoInThread(glmMojo(2, 1), 'bomb.zip', { maxHeapMb: 64, timeoutMs: 600_000 }, bomb),
    );
    expect(err).toBeInstanceOf(MojoError);
    expect(err.mojo).toBe('bomb.zip');
    expect(err.setting).toBe('golden rows');
    expect(err.message).toBe(
      `MOJO bomb.zip: golden rows: the file is ${bomb.length} bytes, more than golden rows take (at most ${GOLDEN_MAX_BYTES})`,
    );
    // the process goes on loading
    await expect(
      checkMojoInThread(glmMojo(2, 1), 'glm.zip', { maxHeapMb: 64, timeoutMs: 600_000 }),
    ).resolves.toMatchObject({
      algorithm: 'glm',
      features: ['x'],
    });
  });

  it('a load over the time limit is stopped and refused, naming the limit', async () => {
    const err = await refusal(
      // starting a thread alone takes longer than a millisecond
      checkMojoInThread(glmMojo(2, 1), 'slow.zip', { maxHeapMb: 64, timeoutMs: 1 }),
    );
    expect(err).toBeInstanceOf(MojoError);
    expect(err.setting).toBe('load time');
    expect(err.message).toContain('longer than 1 ms (MOJO_LOAD_TIMEOUT_MS)');
  });

  it("the scorer's refusal comes back as the MojoError it threw: the file, the setting and the reason", async () => {
    const bad = writeZip(
      new Map([
        [
          'model.ini',
          Buffer.from(
            glmMojo(1, 0)
              .toString('latin1')
              .match(/\[info\][\s\S]*?\[domains\]\n/)![0]
              .replace('family = gaussian', 'family = weird'),
          ),
        ],
      ]),
    );
    const direct = (() => {
      try {
        loadMojo(bad, 'bad.zip');
      } catch (e) {
        return e as MojoError;
      }
      throw new Error('loadMojo accepted it');
    })();
    const err = await refusal(checkMojoInThread(bad, 'bad.zip', { maxHeapMb: 64, timeoutMs: 600_000 }));
    expect(err).toBeInstanceOf(MojoError);
    expect(err.setting).toBe('family');
    expect(err.message).toBe(direct.message);
  });

  it('checks golden rows in the thread: a match counts them, a difference and a damaged file are refused', async () => {
    const limits = { maxHeapMb: 64, timeoutMs: 600_000 };
    const golden = (x: unknown, y: number) =>
      JSON.stringify({ h2oModelId: 'g', rows: [{ features: { x }, expected: [y] }] });
    const { model, summary } = await loadMojoChecked(glmMojo(2, 1), 'g.zip', limits, golden('3', 7));
    expect(summary.goldenRows).toBe(1);
    expect(model.score0(Float64Array.from([3]), new Float64Array(1))[0]).toBe(7);
    const differs = await refusal(checkMojoInThread(glmMojo(2, 1), 'g.zip', limits, golden('3', 8)));
    expect(differs.message).toMatch(/^MOJO g\.zip: golden rows: row 0 predict scores 7 where H2O predicted 8/);
    const notANumber = await refusal(checkMojoInThread(glmMojo(2, 1), 'g.zip', limits, golden('three', 7)));
    expect(notANumber).toBeInstanceOf(MojoError);
    expect(notANumber.setting).toBe('golden rows');
    expect(notANumber.message).toContain('"three"');
    const notJson = await refusal(checkMojoInThread(glmMojo(2, 1), 'g.zip', limits, '{"rows": ['));
    expect(notJson.message).toMatch(/^MOJO g\.zip: golden rows: the file is not JSON/);
  });
});
