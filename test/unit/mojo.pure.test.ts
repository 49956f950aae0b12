/**
 * The scorer's pure parts, without H2O: Java's Random (values printed by the JDK's java.util.Random),
 * H2O's label rules, Java's number parsing, row encoding errors, model.ini and zip refusals.
 * Parity with H2O itself is test/stack/mojo.parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MojoError, ValidationError } from '../../src/shared/errors';
import { parseModelIni, parseDomain } from '../../src/mojo/model-ini';
import { JavaRandom, predictionIndex } from '../../src/mojo/prediction';
import { parseJavaDouble, rowEncoder } from '../../src/mojo/rows';
import type { MojoModel } from '../../src/mojo/types';
import { readZip } from '../../src/mojo/zip';
import { writeZip } from '../helpers/zip-writer';

describe('java.util.Random', () => {
  it('draws the doubles the JDK draws', () => {
    // `new java.util.Random(seed).nextDouble()` on OpenJDK 17
    expect(new JavaRandom(42n).nextDouble()).toBe(0.7275636800328681);
    expect(new JavaRandom(-1n).nextDouble()).toBe(0.26894263088050496);
    expect(new JavaRandom(123456789012345n).nextDouble()).toBe(0.6691460388561377);
    expect(new JavaRandom(-9223372036854775808n).nextDouble()).toBe(0.730967787376657);
  });
});

describe('labels as GenModel picks them', () => {
  const row = new Float64Array([1, 2, Number.NaN]);
  it('binomial: class 1 at or above the threshold', () => {
    expect(predictionIndex(Float64Array.from([0, 0.6, 0.4]), undefined, row, 0.4)).toBe(1);
    expect(predictionIndex(Float64Array.from([0, 0.61, 0.39]), undefined, row, 0.4)).toBe(0);
  });
  it('multinomial: the argmax, and a tie drawn by the prior with the row hash (the same row, the same draw)', () => {
    expect(predictionIndex(Float64Array.from([0, 0.2, 0.5, 0.3]), [0.3, 0.3, 0.4], row, 0.5)).toBe(1);
    const tie = Float64Array.from([0, 0.4, 0.2, 0.4]);
    const picks = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((x) => predictionIndex(tie, [0.5, 0.1, 0.4], new Float64Array([x, x * 3.7]), 0.5)),
    );
    expect([...picks].every((p) => p === 0 || p === 2)).toBe(true);
    expect(picks.size).toBe(2);
    expect(predictionIndex(tie, [0.5, 0.1, 0.4], row, 0.5)).toBe(predictionIndex(tie, [0.5, 0.1, 0.4], row, 0.5));
  });
});

describe("Java's Double.parseDouble", () => {
  it.each([
    ['1.5', 1.5],
    [' 2 ', 2],
    ['-1e3', -1000],
    ['.5', 0.5],
    ['3.', 3],
    ['1d', 1],
    ['2.5F', 2.5],
    ['NaN', Number.NaN],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%j is %d', (s, n) => expect(parseJavaDouble(s)).toBe(n));
  it.each(['', 'abc', '0x10', '0b1', '1,5', '1e'])('%j is not a number', (s) =>
    expect(parseJavaDouble(s)).toBeUndefined(),
  );
});

describe('row encoding', () => {
  const model = { features: ['age', 'plan'], domains: [null, ['basic', 'pro']] } as unknown as MojoModel;
  const enc = rowEncoder(model);
  it('numbers, levels, missing and unseen', () => {
    const stats = { missing: 0, unseen: 0 };
    const row = enc.encode((f) => ({ age: '41', plan: 'pro' })[f], new Float64Array(2), stats);
    expect(Array.from(row)).toEqual([41, 1]);
    const row2 = enc.encode((f) => ({ age: null, plan: 'gold' })[f], new Float64Array(2), stats);
    expect(Array.from(row2)).toEqual([Number.NaN, Number.NaN]);
    expect(stats).toEqual({ missing: 1, unseen: 1 });
  });
  it('a string where a number is declared names the feature and the value', () => {
    const err = (() => {
      try {
        enc.encode(
          (f) => ({ age: 'forty', plan: 'pro' })[f],
          new Float64Array(2),
          { missing: 0, unseen: 0 },
          'rows[3].',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe('rows[3].age="forty" is invalid: expected a number for this numeric feature');
  });
});

describe('model.ini', () => {
  it('reads info, columns and domains; escaped domain values', () => {
    const ini = parseModelIni(
      '[info]\nalgo = gbm\nn_columns = 2\nprior_class_distrib = [0.25, 0.75]\n\n[columns]\nx\ny\n\n[domains]\n1: 2 d000.txt\n',
      'm',
    );
    expect(ini.columns).toEqual(['x', 'y']);
    expect(ini.numbers('prior_class_distrib')).toEqual([0.25, 0.75]);
    expect(ini.domainFiles.get(1)).toEqual({ levels: 2, file: 'd000.txt' });
    expect(parseDomain('a\\nb\nc\\\\d\n', true)).toEqual(['a\nb', 'c\\d']);
  });
  it('refuses a malformed file naming the key', () => {
    expect(() => parseModelIni('[info]\nalgo = gbm\n[columns]\nx\n', 'm')).toThrow(
      /model.ini n_columns: null is missing or not a count/,
    );
    expect(() => parseModelIni('[info]\nn_columns = 1\n[columns]\nx\ny\n', 'm')).toThrow(
      /n_columns: 1 is smaller than the \[columns\] list/,
    );
    expect(() => parseModelIni('[info]\nn_features = two\nn_columns = 0\n[columns]\n', 'm').int('n_features')).toThrow(
      /n_features: "two" is not an integer/,
    );
  });
});

describe('zip reader', () => {
  const good = writeZip(
    new Map([
      ['model.ini', Buffer.from('[info]\n')],
      ['trees/t00_000.bin', Buffer.from([1, 2, 3])],
    ]),
  );
  it('reads stored entries', () => {
    expect(readZip(good, 'z').read('trees/t00_000.bin')).toEqual(Buffer.from([1, 2, 3]));
  });
  it('refuses what is not a zip, an entry failing its CRC, and a name twice', () => {
    expect(() => readZip(Buffer.from('not a zip at all, just text padding it out to more than 22 bytes'), 'z')).toThrow(
      MojoError,
    );
    const bad = Buffer.from(good);
    bad[bad.indexOf(Buffer.from([1, 2, 3]))] = 9;
    expect(() => readZip(bad, 'z')).toThrow('MOJO z: trees/t00_000.bin: fails its CRC-32 check: the file is damaged');
    // two entries, then the central directory's second name ("b") rewritten to the first ("a")
    const two = writeZip(
      new Map([
        ['a', Buffer.from('1')],
        ['b', Buffer.from('2')],
      ]),
    );
    two[two.subarray(0, two.length - 22).lastIndexOf('b'.charCodeAt(0))] = 'a'.charCodeAt(0);
    expect(() => readZip(two, 'z')).toThrow('MOJO z: zip: entry "a" appears twice');
  });
});
