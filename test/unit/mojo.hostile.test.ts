/**
 * Hostile MOJOs, built here byte by byte: each is refused with a MojoError naming the file and the field,
 * without taking the process down, or (a deep tree within the limit) scores as a reference walk does.
 * The MOJO is a GBM regression written by hand in H2O's layout (model.ini, a domain, trees in
 * ScoreTree2's bytes: ../shared/reference/h2o-rest-and-mojo.md section 7.3). Also the `score` command's
 * output: never the input, never partial, no spreadsheet formulas.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scoreCommand } from '../../src/cli/score';
import { csvCell, scoreCsv } from '../../src/mojo/batch';
import { checkGoldenRows, type GoldenFile } from '../../src/mojo/golden';
import { loadMojo } from '../../src/mojo/load';
import { openZip } from '../../src/mojo/zip';
import { type MojoError, ValidationError } from '../../src/shared/errors';
import { loadRefusal } from '../helpers/refusals';
import { endOfCentralDirectory, writeZip } from '../helpers/zip-writer';

// --- a MOJO by hand --------------------------------------------------------------------------------

const f32 = Math.fround;

/** model.ini of a GBM over x1, x2 (numeric) and c (levels a, b, c), with `info` lines replaced or added. */
function modelIni(info: Record<string, string> = {}, domains = '2: 3 d000.txt', category = 'Regression'): string {
  const base: Record<string, string> = {
    h2o_version: '3.46.0.1',
    mojo_version: '1.40',
    algo: 'gbm',
    algorithm: 'Gradient Boosting Machine',
    category,
    supervised: 'true',
    n_features: '3',
    n_classes: category === 'Regression' ? '1' : '2',
    n_columns: '4',
    n_domains: category === 'Regression' ? '1' : '2',
    balance_classes: 'false',
    default_threshold: '0.5',
    escape_domain_values: 'true',
    distribution: category === 'Regression' ? 'gaussian' : 'bernoulli',
    init_f: '0.5',
    n_trees: '2',
    n_trees_per_class: '1',
    ...info,
  };
  const lines = Object.entries(base).map(([k, v]) => `${k} = ${v}`);
  return `[info]\n${lines.join('\n')}\n\n[columns]\nx1\nx2\nc\ny\n\n[domains]\n${domains}\n`;
}

const leafNode = (value: number): Buffer => {
  const b = Buffer.alloc(7);
  b.writeUInt16LE(65535, 1);
  b.writeFloatLE(value, 3);
  return b;
};

/** A numeric split on `col` at `split`, missing values to the right, both children leaves. */
function stump(col: number, split: number, left: number, right: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 48 | 0xc0; // left leaf, right leaf
  b.writeUInt16LE(col, 1);
  b[3] = 3; // NA goes right
  b.writeFloatLE(split, 4);
  b.writeFloatLE(left, 8);
  b.writeFloatLE(right, 12);
  return b;
}

/**
 * A chain `depth` nodes deep on x1, zigzagging: even nodes continue left (split 1e9, so a finite x1
 * goes on), odd ones continue right while x1 >= i; the other child of each is a leaf, and the last node
 * has two leaves. Node i sends missing values left when i % 3 == 0. Written front to back, no recursion.
 */
interface Chain {
  depth: number;
  split(i: number): number;
  goesOnLeft(i: number): boolean;
  naLeft(i: number): boolean;
  leftLeaf(i: number): number;
  rightLeaf(i: number): number;
}
function chain(depth: number): Chain {
  return {
    depth,
    goesOnLeft: (i) => i % 2 === 0,
    split: (i) => (i % 2 === 0 ? 1e9 : f32(i)),
    naLeft: (i) => i % 3 === 0,
    leftLeaf: (i) => f32(i + 0.25),
    rightLeaf: (i) => f32(-i - 0.5),
  };
}
function chainBytes(c: Chain): Buffer {
  // each node is 12 bytes before its subtree (type, column, NA direction, split, then a leaf or the
  // left subtree's size); a node continuing left has its right leaf after the subtree; the last is 16
  const out = Buffer.alloc(12 * c.depth + 4 + 4 * Math.ceil((c.depth - 1) / 2));
  let pos = 0;
  let tail = out.length;
  for (let i = 0; i < c.depth; i++) {
    const last = i === c.depth - 1;
    const onLeft = !last && c.goesOnLeft(i);
    out[pos] = last ? 48 | 0xc0 : onLeft ? 3 | 0xc0 : 48;
    out.writeUInt16LE(0, pos + 1);
    out[pos + 3] = c.naLeft(i) ? 2 : 3;
    out.writeFloatLE(c.split(i), pos + 4);
    if (last) {
      out.writeFloatLE(c.leftLeaf(i), pos + 8);
      out.writeFloatLE(c.rightLeaf(i), pos + 12);
    } else if (onLeft) {
      tail -= 4;
      out.writeFloatLE(c.rightLeaf(i), tail);
      out.writeInt32LE(tail - (pos + 12), pos + 8); // the left subtree: up to this node's right leaf
    } else out.writeFloatLE(c.leftLeaf(i), pos + 8);
    pos += 12;
  }
  return out;
}
/** ScoreTree2's rule on the chain, walked from its description, not its bytes. */
function walkChain(c: Chain, x: number): number {
  for (let i = 0; ; i++) {
    const right = Number.isNaN(x) ? !c.naLeft(i) : x >= c.split(i);
    if (i === c.depth - 1) return right ? c.rightLeaf(i) : c.leftLeaf(i);
    if (right !== !c.goesOnLeft(i)) return right ? c.rightLeaf(i) : c.leftLeaf(i);
  }
}

function entries(over: Record<string, Buffer | string | null> = {}): Map<string, Buffer> {
  const all: Record<string, Buffer | string | null> = {
    'model.ini': modelIni(),
    'domains/d000.txt': 'a\nb\nc\n',
    'trees/t00_000.bin': stump(0, 1.5, 1, 2),
    'trees/t00_001.bin': stump(2, 1, 10, 20), // on c: level a (0) left, b and c right
    ...over,
  };
  const m = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(all)) if (v !== null) m.set(k, Buffer.from(v));
  return m;
}

/** A zip as H2O writes it (deflated entries), or stored with writeZip. */
function deflatedZip(files: Map<string, Buffer>): Buffer {
  return writeZip(files, { deflate: true });
}

/** The byte offset of central directory record `n` */
function centralRecord(zip: Buffer, n: number): number {
  let p = zip.readUInt32LE(zip.length - 22 + 16);
  for (let i = 0; i < n; i++) p += 46 + zip.readUInt16LE(p + 28) + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  return p;
}

function refusal(bytes: Buffer, name = 'hostile.zip'): MojoError {
  return loadRefusal(bytes, name);
}

/** loadMojoFile in a node of its own with a 256 MB heap: prints the error, exits 0 unless the process dies */
function loadInChild(bytes: Buffer, name: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'mojo-child-')), name);
  writeFileSync(file, bytes);
  const load = resolve(__dirname, '../../src/mojo/load.ts');
  return spawnSync(
    process.execPath,
    [
      '--max-old-space-size=256',
      '--import',
      'tsx',
      '-e',
      `require(${JSON.stringify(load)}).loadMojoFile(${JSON.stringify(file)}).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`,
    ],
    { encoding: 'utf8' },
  );
}

const score = (bytes: Buffer, x1: number, x2 = 0, c = 0): number =>
  loadMojo(bytes, 'm.zip').score0(Float64Array.from([x1, x2, c]), new Float64Array(1))[0]!;

describe('the hand-built MOJO', () => {
  it('loads and scores, stored or deflated', () => {
    for (const bytes of [writeZip(entries()), deflatedZip(entries())]) {
      expect(score(bytes, 1, 0, 0)).toBe(0.5 + 1 + 10);
      expect(score(bytes, 2, 0, 2)).toBe(0.5 + 2 + 20);
    }
  });
});

describe('declared counts are bounded before anything is sized by them', () => {
  it('n_trees = 50,000,000 and no trees: refused naming n_trees, and a 256 MB heap survives it', () => {
    const bomb = writeZip(
      entries({
        'model.ini': modelIni({ n_trees: '50000000' }),
        'trees/t00_000.bin': null,
        'trees/t00_001.bin': null,
      }),
    );
    expect(refusal(bomb).setting).toBe('n_trees');
    // Before the bound this child died of a fatal out-of-memory (exit 134), which nothing can catch.
    const child = loadInChild(bomb, 'bomb.zip');
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe(
      'MojoError: MOJO bomb.zip: n_trees: 50000000 is not a count of trees (0 to 100000, as H2O trains)',
    );
  }, 60_000);

  it('trees past the heap budget (n_trees x n_trees_per_class) are refused naming n_trees, in a 256 MB heap', () => {
    const ini = modelIni(
      {
        category: 'Multinomial',
        n_classes: '4',
        distribution: 'multinomial',
        n_trees: '100000',
        n_trees_per_class: '4',
      },
      '2: 3 d000.txt\n3: 4 d001.txt',
      'Multinomial',
    );
    const child = loadInChild(writeZip(entries({ 'model.ini': ini, 'domains/d001.txt': 'p\nq\nr\ns\n' })), 'wide.zip');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toMatch(
      /^MojoError: MOJO wide\.zip: n_trees: 100000 groups of 4 trees is 400000 trees, more than a load may hold in a [\d.]+ MiB heap \(\d+\)$/,
    );
  }, 60_000);

  it('a negative n_trees names n_trees', () => {
    expect(refusal(writeZip(entries({ 'model.ini': modelIni({ n_trees: '-1' }) }))).message).toBe(
      'MOJO hostile.zip: n_trees: -1 is not a count of trees (0 to 100000, as H2O trains)',
    );
  });

  it('a domain declaring more levels than its file can hold is refused before the file is read', () => {
    const err = refusal(writeZip(entries({ 'model.ini': modelIni({}, '2: 1000000 d000.txt') })));
    expect(err.message).toBe(
      'MOJO hostile.zip: domains/d000.txt: model.ini declares 1000000 levels, the file holds 6 bytes',
    );
  });

  it('GLM counts: negative cats or nums name cats', () => {
    const ini = modelIni({
      algo: 'glm',
      mojo_version: '1.00',
      family: 'gaussian',
      link: 'identity',
      cats: '-1',
      nums: '4',
      cat_offsets: '[]',
      beta: '[1, 2, 3, 4]',
    });
    expect(
      refusal(writeZip(entries({ 'model.ini': ini, 'trees/t00_000.bin': null, 'trees/t00_001.bin': null }))).message,
    ).toMatch(/^MOJO hostile\.zip: cats: -1 categorical \+ 4 numeric predictors for 3 features/);
  });
});

describe('zip layout', () => {
  it('entries sharing bytes (one inside another, names matching) are refused naming the entry, before inflating', () => {
    // "inner"'s local header and data are the stored data of "outer": the overlapping-entry zip bomb's shape
    const innerData = Buffer.from('a\nb\nc\n');
    const innerName = Buffer.from('domains/d000.txt');
    const innerLocal = Buffer.alloc(30);
    innerLocal.writeUInt32LE(0x04034b50, 0);
    innerLocal.writeUInt32LE(crc32(innerData), 14);
    innerLocal.writeUInt32LE(innerData.length, 18);
    innerLocal.writeUInt32LE(innerData.length, 22);
    innerLocal.writeUInt16LE(innerName.length, 26);
    const outerData = Buffer.concat([innerLocal, innerName, innerData]);
    const outerName = Buffer.from('model.ini');
    const zip = writeZip(new Map([['model.ini', outerData]]));
    // add a second central record pointing inside the first entry, at the embedded local header
    const dirStart = zip.readUInt32LE(zip.length - 22 + 16);
    const first = zip.subarray(dirStart, zip.length - 22);
    const second = Buffer.alloc(46);
    first.copy(second, 0, 0, 46);
    second.writeUInt32LE(crc32(innerData), 16);
    second.writeUInt32LE(innerData.length, 20);
    second.writeUInt32LE(innerData.length, 24);
    second.writeUInt16LE(innerName.length, 28);
    second.writeUInt32LE(30 + outerName.length, 42);
    const central = [Buffer.from(first), second, innerName];
    const bomb = Buffer.concat([zip.subarray(0, dirStart), ...central, endOfCentralDirectory(2, central, dirStart)]);
    expect(refusal(bomb).message).toBe(
      'MOJO hostile.zip: zip: entry "domains/d000.txt" at byte 39 overlaps entry "model.ini" (bytes 0 to 91): the file is damaged or a zip bomb',
    );
  });

  it('many central records pointing at one deflated run are refused at the second, naming it', () => {
    // the 4.4 MiB zip of 65,535 entries x 256 MiB: here 1,000 entries x 1 MiB of zeros, one run
    const run = deflatedZip(new Map([['trees/t00_000.bin', Buffer.alloc(1 << 20)]]));
    const dirStart = run.readUInt32LE(run.length - 22 + 16);
    const record = run.subarray(dirStart, run.length - 22);
    const central: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = Buffer.from(record);
      r.write(`trees/t00_${String(i).padStart(3, '0')}.bin`.slice(0, 17), 46); // same length, another name
      central.push(r);
    }
    const bomb = Buffer.concat([run.subarray(0, dirStart), ...central, endOfCentralDirectory(1000, central, dirStart)]);
    expect(refusal(bomb).message).toBe(
      'MOJO hostile.zip: zip: entry "trees/t00_001.bin": its local header at byte 0 names another entry',
    );
  });

  it('declared sizes past the budget are refused before anything is inflated', () => {
    const zip = deflatedZip(entries());
    const tree = centralRecord(zip, 2);
    zip.writeUInt32LE(0xfffffff0, tree + 24); // t00_000.bin says it inflates to 4 GiB
    expect(refusal(zip).message).toMatch(
      /^MOJO hostile\.zip: zip: entry "trees\/t00_000\.bin" brings the declared sizes to \d+ bytes, past the load's budget of [\d.]+ MiB \(1\/32 of a [\d.]+ MiB heap\)$/,
    );
  });

  it('an entry inflating past its declared size stops there, refused naming it', () => {
    const zip = deflatedZip(entries({ 'trees/t00_001.bin': Buffer.alloc(1 << 20) }));
    zip.writeUInt32LE(16, centralRecord(zip, 3) + 24);
    expect(refusal(zip).message).toMatch(
      /^MOJO hostile\.zip: trees\/t00_001\.bin: cannot be inflated to its 16 bytes \(.*\): the file is damaged$/,
    );
  });

  it('a local header offset past the data, or data running into the directory, is refused naming the entry', () => {
    const zip = writeZip(entries());
    const dirStart = zip.readUInt32LE(zip.length - 22 + 16);
    const outside = Buffer.from(zip);
    outside.writeUInt32LE(dirStart + 4, centralRecord(outside, 1) + 42);
    expect(refusal(outside).message).toBe(
      `MOJO hostile.zip: zip: entry "domains/d000.txt": its local header at byte ${dirStart + 4} is not before the central directory at ${dirStart}`,
    );
    const beyond = Buffer.from(zip);
    beyond.writeUInt32LE(0xfffffff0, centralRecord(beyond, 1) + 42);
    expect(refusal(beyond).message).toMatch(
      /^MOJO hostile\.zip: zip: entry "domains\/d000\.txt": its local header at byte 4294967280 is not before/,
    );
    const long = Buffer.from(zip);
    const last = centralRecord(long, 3);
    long.writeUInt32LE(1000, last + 20);
    long.writeUInt32LE(1000, last + 24);
    expect(refusal(long).message).toMatch(
      /^MOJO hostile\.zip: zip: entry "trees\/t00_001\.bin": its 1000 bytes from byte \d+ run into the central directory at \d+: truncated or damaged$/,
    );
  });

  it('a local header naming another entry is refused', () => {
    const zip = writeZip(entries());
    const local = zip.readUInt32LE(centralRecord(zip, 2) + 42);
    zip.write('X', local + 30 + 'trees/t00_00'.length); // the local name says trees/t00_00X.bin
    expect(refusal(zip).message).toBe(
      `MOJO hostile.zip: zip: entry "trees/t00_000.bin": its local header at byte ${local} names another entry`,
    );
  });

  it('names are checked before anything is inflated: a foreign entry is refused even when it would not inflate', () => {
    const zip = deflatedZip(entries({ 'evil.sh': Buffer.alloc(1 << 16) }));
    const evil = centralRecord(zip, 4);
    const data = zip.readUInt32LE(evil + 42) + 30 + 'evil.sh'.length;
    zip.fill(0xff, data, data + 8); // its deflated bytes are garbage
    expect(refusal(zip).message).toBe(
      'MOJO hostile.zip: evil.sh: is not an entry H2O writes in a MOJO: the file is damaged or not a MOJO',
    );
  });

  it('the entries scoring does not read are CRC-checked too', () => {
    const zip = writeZip(entries({ 'experimental/modelDetails.json': '{"a": 1}' }));
    zip[zip.indexOf('{"a": 1}') + 6] = '2'.charCodeAt(0);
    expect(refusal(zip).message).toBe(
      'MOJO hostile.zip: experimental/modelDetails.json: fails its CRC-32 check: the file is damaged',
    );
    expect(openZip(zip, 'z').read('model.ini').toString()).toContain('algo = gbm'); // opening reads nothing
  });
});

describe('deep trees decode without recursion', () => {
  it.each([1, 2, 3, 5000])('depth %i scores as the reference walk', (depth) => {
    const c = chain(depth);
    const model = loadMojo(
      writeZip(entries({ 'trees/t00_000.bin': chainBytes(c), 'trees/t00_001.bin': leafNode(0) })),
      'deep.zip',
    );
    const preds = new Float64Array(1);
    const xs = [-3, 0.5, 1, 100.5, 2500.5, 4998, 4999.5, 1e6, Number.NaN];
    for (const x of xs) {
      model.score0(Float64Array.from([x, 0, 0]), preds);
      expect(preds[0], `x1 = ${x}`).toBe(0.5 + walkChain(c, x) + 0);
    }
  });

  it('depth 20,000 is refused naming the tree entry', () => {
    const err = refusal(writeZip(entries({ 'trees/t00_001.bin': chainBytes(chain(20_000)) })));
    expect(err.setting).toBe('trees/t00_001.bin');
    expect(err.message).toMatch(
      /^MOJO hostile\.zip: trees\/t00_001\.bin: nesting deeper than 10000 at byte \d+ of \d+: the tree is damaged$/,
    );
  });

  it('a left subtree size pointing outside the tree is refused naming the entry', () => {
    const bytes = chainBytes(chain(3));
    bytes.writeInt32LE(0x7fffffff, 8);
    expect(refusal(writeZip(entries({ 'trees/t00_000.bin': bytes }))).message).toMatch(
      /^MOJO hostile\.zip: trees\/t00_000\.bin: .* the tree is damaged$/,
    );
  });

  it('a bitset declaring 2^31-1 bits in a 20-byte tree is refused before it is copied', () => {
    const b = Buffer.alloc(20);
    b[0] = 12 | 48 | 0xc0; // a bitset with a range, two leaf children
    b.writeUInt16LE(2, 1);
    b[3] = 3;
    b.writeUInt16LE(0, 4);
    b.writeInt32LE(0x7fffffff, 6);
    expect(refusal(writeZip(entries({ 'trees/t00_000.bin': b }))).message).toBe(
      'MOJO hostile.zip: trees/t00_000.bin: a 268435456-byte read runs past the end at byte 10 of 20: the tree is damaged',
    );
  });
});

describe('the last line', () => {
  it('an error with no known cause is still a MojoError naming the file (here: bytes that are not a Buffer)', () => {
    const err = refusal(new Uint8Array(64) as Buffer, 'odd.zip');
    expect(err.setting).toBe('load');
    expect(err.message).toMatch(
      /^MOJO odd\.zip: load: cannot be read \(TypeError: .*\): the file is damaged or not a MOJO$/,
    );
  });

  it('golden rows of the wrong shape are a MojoError, not a TypeError', () => {
    const model = loadMojo(writeZip(entries()), 'm.zip');
    expect(() => checkGoldenRows(model, { rows: 'none' } as unknown as GoldenFile, 'm.zip')).toThrow(
      'MOJO m.zip: golden rows: the golden file has no "rows" array',
    );
    expect(() =>
      checkGoldenRows(model, { h2oModelId: 'm', rows: [{ features: {} }] } as unknown as GoldenFile, 'm.zip'),
    ).toThrow('MOJO m.zip: golden rows: row 0 is not {features: object, expected: number[]}');
  });
});

// --- the score command -----------------------------------------------------------------------------

describe('score: its output', () => {
  const work = (): string => mkdtempSync(join(tmpdir(), 'mojo-score-'));
  const model = loadMojo(writeZip(entries()), 'm.zip');
  const rows = 'x1,x2,c\n1,0,a\n2,0,c\n';

  it('is never the input, by any path (same path, ./, a symbolic or a hard link)', async () => {
    const dir = work();
    const input = join(dir, 'rows.csv');
    writeFileSync(input, rows);
    symlinkSync(input, join(dir, 'sym.csv'));
    linkSync(input, join(dir, 'hard.csv'));
    for (const output of [input, join(dir, '.', 'rows.csv'), join(dir, 'sym.csv'), join(dir, 'hard.csv')]) {
      await expect(scoreCsv(model, input, output)).rejects.toThrow(
        `--output="${output}" is invalid: is the input file: writing it would destroy the rows being scored`,
      );
    }
    expect(readFileSync(input, 'utf8')).toBe(rows);
  });

  it('is never the MOJO', async () => {
    const dir = work();
    const mojo = join(dir, 'm.zip');
    const bytes = writeZip(entries());
    writeFileSync(mojo, bytes);
    writeFileSync(join(dir, 'rows.csv'), rows);
    await expect(
      scoreCommand(['--mojo', mojo, '--input', join(dir, 'rows.csv'), '--output', mojo]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(readFileSync(mojo).equals(bytes)).toBe(true);
  });

  it('a failed run leaves the old output as it was and no partial file', async () => {
    const dir = work();
    const input = join(dir, 'rows.csv');
    const output = join(dir, 'out.csv');
    writeFileSync(input, `${rows}three,0,a\n`);
    writeFileSync(output, 'yesterday\n');
    await expect(scoreCsv(model, input, output)).rejects.toThrow('line 4: x1="three" is invalid');
    expect(readFileSync(output, 'utf8')).toBe('yesterday\n');
    expect(readdirSync(dir).sort()).toEqual(['out.csv', 'rows.csv']);
    const fresh = join(dir, 'fresh.csv');
    await expect(scoreCsv(model, input, fresh)).rejects.toThrow(ValidationError);
    expect(existsSync(fresh)).toBe(false);
    await expect(scoreCsv(model, join(dir, 'absent.csv'), fresh)).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(['out.csv', 'rows.csv']);
  });

  it('a successful run replaces the output whole', async () => {
    const dir = work();
    writeFileSync(join(dir, 'rows.csv'), rows);
    writeFileSync(join(dir, 'out.csv'), 'yesterday\n'.repeat(100));
    expect((await scoreCsv(model, join(dir, 'rows.csv'), join(dir, 'out.csv'))).rows).toBe(2);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('predict\n11.5\n22.5\n');
    expect(readdirSync(dir).sort()).toEqual(['out.csv', 'rows.csv']);
  });

  it('labels that start like a formula get a leading quote; numbers and plain labels stay', async () => {
    expect(['=1+2', '+SUM(A1)', '-2+3', '@x', '\tx', '\rx', '-1', '+2.5', '1e3', 'yes', 'a=b'].map(csvCell)).toEqual([
      "'=1+2",
      "'+SUM(A1)",
      "'-2+3",
      "'@x",
      "'\tx",
      `"'\rx"`,
      '-1',
      '+2.5',
      '1e3',
      'yes',
      'a=b',
    ]);
    const dir = work();
    const labels = ['=HYPERLINK("http://x","y")', '@no'];
    const binomial = loadMojo(
      writeZip(
        entries({
          'model.ini': modelIni({}, '2: 3 d000.txt\n3: 2 d001.txt', 'Binomial'),
          'domains/d001.txt': `${labels.join('\n')}\n`,
        }),
      ),
      'b.zip',
    );
    writeFileSync(join(dir, 'rows.csv'), rows);
    await scoreCsv(binomial, join(dir, 'rows.csv'), join(dir, 'out.csv'));
    const [header, ...lines] = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(header).toBe(`predict,"'=HYPERLINK(""http://x"",""y"")",'@no`);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^('@no|"'=HYPERLINK\(""http:\/\/x"",""y""\)"),[\d.e-]+,[\d.e-]+$/);
  });
});
