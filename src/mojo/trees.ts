/**
 * H2O's compressed trees (`trees/tCC_TTT.bin`), decoded once at load into flat typed arrays and walked
 * per row. The byte layout and the decision rule are h2o-genmodel's `SharedTreeMojoModel.scoreTree`
 * (ScoreTree2, MOJO 1.20-1.40); see ../shared/reference/h2o-rest-and-mojo.md section 7.3. Decoding up
 * front checks every offset, so a damaged tree is refused at load instead of scoring garbage, and the
 * walk touches arrays instead of re-parsing bytes (several times faster than the byte walk).
 */
import { MojoError } from '../shared/errors';

const NUMERIC = 0;
const BITSET = 1;
const NA_VS_REST = 2;
/** a bound on tree depth well above anything H2O trains (max_depth is at most a few dozen in practice) */
const MAX_DEPTH = 10_000;

/**
 * All trees of a model, interleaved and compact: node n is the 4 slots from n * STRIDE of `nodes` (an
 * Int32Array): column and flags, left, right, and the split as the float32 H2O wrote (a Float32Array
 * view of the same buffer) or, for a bitset node, the index of its bitset. 16 bytes a node keeps deep
 * forests (DRF) in cache. A child or root below 0 is leaf `~child` of `leaf`.
 */
export interface TreeForest {
  roots: Int32Array;
  nodes: Int32Array;
  splits: Float32Array;
  /** per bitset: first level, number of levels, offset of its bytes in `bits` */
  bitsetOff: Int32Array;
  bitsetCount: Int32Array;
  bitsetStart: Int32Array;
  leaf: Float64Array;
  bits: Uint8Array;
  /** per column: number of levels, 0 for numeric columns (levels at or above it go the NA way) */
  domainLength: Int32Array;
}

const STRIDE = 4;
/** slot 0: column in the low 16 bits, flags above */
const HEAD = 0;
const LEFT = 1;
const RIGHT = 2;
/** slot 3: the float32 split, or the bitset index (bitset nodes, and NA-vs-rest nodes with a range) */
const SPLIT = 3;
const COLUMN_MASK = 0xffff;
const FLAG_SHIFT = 16;
const KIND_MASK = 3;
const NA_LEFT = 4;
const HAS_RANGE = 8;
/** the node's column is categorical: levels at or above its domain length go the NA way */
const HAS_DOMAIN = 16;

class Builder {
  col: number[] = [];
  kind: number[] = [];
  naLeft: number[] = [];
  split: number[] = [];
  bitOff: number[] = [];
  bitCount: number[] = [];
  bitStart: number[] = [];
  hasRange: number[] = [];
  left: number[] = [];
  right: number[] = [];
  leaf: number[] = [];
  bits: number[] = [];
  roots: number[] = [];
}

interface Range {
  off: number;
  count: number;
}

/** Decodes each tree (null for a tree H2O did not write: it adds nothing) into one forest. */
export function decodeForest(
  trees: (Buffer | null)[],
  domainLength: Int32Array,
  nColumns: number,
  mojo: string,
): TreeForest {
  const b = new Builder();
  trees.forEach((tree, index) => {
    if (tree === null) {
      b.roots.push(~pushLeaf(b, 0));
      return;
    }
    b.roots.push(decodeTree(b, tree, nColumns, `${mojo} tree ${index}`));
  });
  const n = b.col.length;
  const buffer = new ArrayBuffer(n * STRIDE * 4);
  const nodes = new Int32Array(buffer);
  const splits = new Float32Array(buffer);
  const bitsetOff: number[] = [];
  const bitsetCount: number[] = [];
  const bitsetStart: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * STRIDE;
    const flags =
      b.kind[i]! |
      (b.naLeft[i]! ? NA_LEFT : 0) |
      (b.hasRange[i]! ? HAS_RANGE : 0) |
      (domainLength[b.col[i]!]! > 0 ? HAS_DOMAIN : 0);
    nodes[at + HEAD] = b.col[i]! | (flags << FLAG_SHIFT);
    nodes[at + LEFT] = b.left[i]!;
    nodes[at + RIGHT] = b.right[i]!;
    if (b.hasRange[i]) {
      nodes[at + SPLIT] = bitsetOff.length;
      bitsetOff.push(b.bitOff[i]!);
      bitsetCount.push(b.bitCount[i]!);
      bitsetStart.push(b.bitStart[i]!);
    } else splits[at + SPLIT] = b.split[i]!;
  }
  return {
    roots: Int32Array.from(b.roots),
    nodes,
    splits,
    bitsetOff: Int32Array.from(bitsetOff),
    bitsetCount: Int32Array.from(bitsetCount),
    bitsetStart: Int32Array.from(bitsetStart),
    leaf: Float64Array.from(b.leaf),
    bits: Uint8Array.from(b.bits),
    domainLength,
  };
}

function pushLeaf(b: Builder, value: number): number {
  b.leaf.push(value);
  return b.leaf.length - 1;
}

function decodeTree(b: Builder, tree: Buffer, nColumns: number, where: string): number {
  const damaged = (at: number, what: string): never => {
    throw new MojoError(where, 'trees', `${what} at byte ${at} of ${tree.length}: the tree is damaged`);
  };
  const need = (at: number, n: number): void => {
    if (at < 0 || at + n > tree.length) damaged(at, `a ${n}-byte read runs past the end`);
  };
  const u8 = (at: number): number => (need(at, 1), tree[at]!);
  const u16 = (at: number): number => (need(at, 2), tree.readUInt16LE(at));
  const f32 = (at: number): number => (need(at, 4), tree.readFloatLE(at));

  // Returns [child reference, end position].
  const node = (at: number, depth: number, lastBitset: Range | null): [number, number] => {
    if (depth > MAX_DEPTH) damaged(at, `nesting deeper than ${MAX_DEPTH}`);
    const nodeType = u8(at);
    const colId = u16(at + 1);
    if (colId === 65535) return [~pushLeaf(b, f32(at + 3)), at + 7];
    if (colId >= nColumns) damaged(at + 1, `column ${colId} (the model has ${nColumns} predictors)`);
    const dir = u8(at + 3);
    if (dir > 5) damaged(at + 3, `NA direction ${dir}`);
    const naVsRest = dir === 1;
    const naLeft = dir === 2 || dir === 4 ? 1 : 0;
    const lmask = nodeType & 51;
    const equal = nodeType & 12;
    let pos = at + 4;
    let kind = NA_VS_REST;
    let split = 0;
    let range: Range | null = null;
    let bitStart = -1;
    if (!naVsRest) {
      if (equal === 0) {
        kind = NUMERIC;
        split = f32(pos);
        pos += 4;
      } else if (equal === 8 || equal === 12) {
        kind = BITSET;
        let count = 32;
        let off = 0;
        if (equal === 12) {
          off = u16(pos);
          need(pos + 2, 4);
          count = tree.readInt32LE(pos + 2);
          if (count <= 0) damaged(pos + 2, `bitset of ${count} bits`);
          pos += 6;
        }
        const bytes = ((count - 1) >> 3) + 1;
        need(pos, bytes);
        bitStart = b.bits.length;
        for (let i = 0; i < bytes; i++) b.bits.push(tree[pos + i]!);
        pos += bytes;
        range = { off, count };
      } else {
        damaged(at, `node type ${nodeType}: the "==" split of MOJOs before 1.0 is not supported`);
      }
    } else if (equal !== 0 && lastBitset) {
      // ScoreTree2 range-checks an NA-vs-rest split on a categorical column with the bitset it read last
      // on the way down; that bitset is fixed by the node's position, so it is resolved here once.
      range = lastBitset;
    }
    let leftAt: number;
    let rightAt: number;
    if (lmask <= 3) {
      need(pos, lmask + 1);
      const size =
        lmask === 0
          ? tree[pos]!
          : lmask === 1
            ? tree.readUInt16LE(pos)
            : lmask === 2
              ? tree.readUIntLE(pos, 3)
              : tree.readInt32LE(pos);
      leftAt = pos + lmask + 1;
      rightAt = leftAt + size;
    } else if (lmask === 48) {
      leftAt = pos;
      rightAt = pos + 4;
    } else {
      return damaged(at, `left-child mask ${lmask}`);
    }

    const index = b.col.length;
    b.col.push(colId);
    b.kind.push(kind);
    b.naLeft.push(naLeft);
    b.split.push(split);
    b.bitOff.push(range?.off ?? 0);
    b.bitCount.push(range?.count ?? 0);
    b.bitStart.push(bitStart);
    b.hasRange.push(range ? 1 : 0);
    b.left.push(0);
    b.right.push(0);

    const below = kind === BITSET ? range : lastBitset;
    let leftEnd: number;
    if (lmask & 16) {
      b.left[index] = ~pushLeaf(b, f32(leftAt));
      leftEnd = leftAt + 4;
    } else {
      [b.left[index], leftEnd] = node(leftAt, depth + 1, below);
    }
    if (leftEnd !== rightAt) damaged(leftAt, `left subtree ends at ${leftEnd}, its size says ${rightAt}`);
    const rmask = (nodeType & 0xc0) >> 2;
    if (rmask & 16) {
      b.right[index] = ~pushLeaf(b, f32(rightAt));
      return [index, rightAt + 4];
    }
    const [child, end] = node(rightAt, depth + 1, below);
    b.right[index] = child;
    return [index, end];
  };

  const [root, end] = node(0, 0, null);
  if (end !== tree.length) damaged(end, `${tree.length - end} bytes after the tree`);
  return root;
}

/** One tree's value for `row`: the decision rule of ScoreTree2, node for node. */
export function scoreTree(f: TreeForest, tree: number, row: ArrayLike<number>): number {
  let n = f.roots[tree]!;
  const { nodes, splits } = f;
  while (n >= 0) {
    const at = n * STRIDE;
    const head = nodes[at + HEAD]!;
    const flags = head >>> FLAG_SHIFT;
    const d = row[head & COLUMN_MASK]!;
    let goRight: boolean;
    if (d !== d) goRight = (flags & NA_LEFT) === 0;
    else if ((flags & (KIND_MASK | HAS_RANGE | HAS_DOMAIN)) === NUMERIC)
      goRight = d >= splits[at + SPLIT]!; // the common node
    else goRight = decideCategorical(f, at, flags, head & COLUMN_MASK, d);
    n = nodes[at + (goRight ? RIGHT : LEFT)]!;
  }
  return f.leaf[~n]!;
}

/** The rest of ScoreTree2's rule: bitset ranges, unseen levels, bitsets, NA-vs-rest. */
function decideCategorical(f: TreeForest, at: number, flags: number, column: number, d: number): boolean {
  // Java's (int)d truncates; beyond the int range it saturates, which compares the same way here.
  const level = Math.trunc(d);
  const dl = f.domainLength[column]!;
  let off = 0;
  if (flags & HAS_RANGE) {
    const b = f.nodes[at + SPLIT]!;
    off = level - f.bitsetOff[b]!;
    if (off < 0 || off >= f.bitsetCount[b]!) return (flags & NA_LEFT) === 0;
  }
  if (dl > 0 && dl <= level) return (flags & NA_LEFT) === 0;
  const kind = flags & KIND_MASK;
  if (kind === NUMERIC) return d >= f.splits[at + SPLIT]!;
  if (kind === BITSET) return (f.bits[f.bitsetStart[f.nodes[at + SPLIT]!]! + (off >> 3)]! & (1 << (off & 7))) !== 0;
  return false;
}
