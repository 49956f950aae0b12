/**
 * H2O's compressed trees (`trees/tCC_TTT.bin`), decoded once at load into flat typed arrays and walked
 * per row. The byte layout and the decision rule are h2o-genmodel's `SharedTreeMojoModel.scoreTree`
 * (ScoreTree2, MOJO 1.20-1.40); see ../shared/reference/h2o-rest-and-mojo.md section 7.3. Decoding up
 * front checks every offset, so a damaged tree is refused at load instead of scoring garbage, and the
 * walk touches arrays instead of re-parsing bytes (several times faster than the byte walk). Nothing
 * here recurses: decoding keeps its own stack (bounded by MAX_DEPTH) and scoring is a loop.
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

/** A typed array that grows by doubling: 4 or 8 bytes an element where a number[] takes 8 or more. */
class List<A extends Int32Array | Float64Array | Uint8Array> {
  length = 0;
  constructor(
    private data: A,
    private readonly make: (n: number) => A,
  ) {}
  push(v: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
  append(from: Uint8Array): void {
    if (this.length + from.length > this.data.length) this.grow(this.length + from.length);
    this.data.set(from, this.length);
    this.length += from.length;
  }
  done(): A {
    return this.data.slice(0, this.length) as A;
  }
  private grow(atLeast: number): void {
    const next = this.make(Math.max(atLeast, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

const ints = (): List<Int32Array> => new List(new Int32Array(64), (n) => new Int32Array(n));

/** The forest as it is decoded: nodes go straight into their final slots. */
class Builder {
  private buffer = new ArrayBuffer(256 * STRIDE * 4);
  private nodes = new Int32Array(this.buffer);
  private splits = new Float32Array(this.buffer);
  private count = 0;
  readonly bitsetOff = ints();
  readonly bitsetCount = ints();
  readonly bitsetStart = ints();
  readonly leaf = new List(new Float64Array(256), (n) => new Float64Array(n));
  readonly bits = new List(new Uint8Array(256), (n) => new Uint8Array(n));
  readonly roots = ints();

  constructor(private readonly domainLength: Int32Array) {}

  /** a node's slot, its children to come; `range` (a bitset's levels) takes the split's place */
  node(column: number, flags: number, split: number, range: Range | null, bitStart: number): number {
    if ((this.count + 1) * STRIDE > this.nodes.length) {
      const buffer = new ArrayBuffer(this.buffer.byteLength * 2);
      new Int32Array(buffer).set(this.nodes);
      this.buffer = buffer;
      this.nodes = new Int32Array(buffer);
      this.splits = new Float32Array(buffer);
    }
    const at = this.count * STRIDE;
    let f = flags | (this.domainLength[column]! > 0 ? HAS_DOMAIN : 0);
    if (range) {
      f |= HAS_RANGE;
      this.nodes[at + SPLIT] = this.bitsetOff.push(range.off);
      this.bitsetCount.push(range.count);
      this.bitsetStart.push(bitStart);
    } else this.splits[at + SPLIT] = split;
    this.nodes[at + HEAD] = column | (f << FLAG_SHIFT);
    return this.count++;
  }

  child(node: number, right: boolean, ref: number): void {
    this.nodes[node * STRIDE + (right ? RIGHT : LEFT)] = ref;
  }

  done(): TreeForest {
    const nodes = new Int32Array(this.buffer.slice(0, this.count * STRIDE * 4));
    return {
      roots: this.roots.done(),
      nodes,
      splits: new Float32Array(nodes.buffer),
      bitsetOff: this.bitsetOff.done(),
      bitsetCount: this.bitsetCount.done(),
      bitsetStart: this.bitsetStart.done(),
      leaf: this.leaf.done(),
      bits: this.bits.done(),
      domainLength: this.domainLength,
    };
  }
}

interface Range {
  off: number;
  count: number;
}

/** One tree entry of the zip: its bytes, or null for a tree H2O did not write (it adds nothing). */
export interface TreeEntry {
  name: string;
  bytes: Buffer | null;
}

/** Decodes each tree into one forest; a damaged tree is a MojoError naming its entry. */
export function decodeForest(trees: TreeEntry[], domainLength: Int32Array, nColumns: number, mojo: string): TreeForest {
  const b = new Builder(domainLength);
  for (const { name, bytes } of trees)
    b.roots.push(bytes === null ? ~b.leaf.push(0) : decodeTree(b, bytes, nColumns, mojo, name));
  return b.done();
}

/** A node whose children are being decoded: an explicit stack, so depth costs heap, never the call stack. */
interface Frame {
  node: number;
  leftAt: number;
  rightAt: number;
  rightIsLeaf: boolean;
  /** the bitset an NA-vs-rest split below this node range-checks with */
  below: Range | null;
  depth: number;
  /** false while the left subtree is decoded, true while the right one is */
  onRight: boolean;
}

function decodeTree(b: Builder, tree: Buffer, nColumns: number, mojo: string, entry: string): number {
  const damaged = (at: number, what: string): never => {
    throw new MojoError(mojo, entry, `${what} at byte ${at} of ${tree.length}: the tree is damaged`);
  };
  const need = (at: number, n: number): void => {
    if (at < 0 || at + n > tree.length) damaged(at, `a ${n}-byte read runs past the end`);
  };
  const u8 = (at: number): number => (need(at, 1), tree[at]!);
  const u16 = (at: number): number => (need(at, 2), tree.readUInt16LE(at));
  const f32 = (at: number): number => (need(at, 4), tree.readFloatLE(at));

  const stack: Frame[] = [];
  // the node to decode next; or, when `descend` is false, the subtree just finished: its reference and end
  let at = 0;
  let depth = 0;
  let lastBitset: Range | null = null;
  let descend = true;
  let ref = 0;
  let end = 0;
  for (;;) {
    if (descend) {
      if (depth > MAX_DEPTH) damaged(at, `nesting deeper than ${MAX_DEPTH}`);
      const nodeType = u8(at);
      const colId = u16(at + 1);
      if (colId === 65535) {
        ref = ~b.leaf.push(f32(at + 3));
        end = at + 7;
        descend = false;
        continue;
      }
      if (colId >= nColumns) damaged(at + 1, `column ${colId} (the model has ${nColumns} predictors)`);
      const dir = u8(at + 3);
      if (dir > 5) damaged(at + 3, `NA direction ${dir}`);
      const naVsRest = dir === 1;
      const naLeft = dir === 2 || dir === 4;
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
          b.bits.append(tree.subarray(pos, pos + bytes));
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
      const node = b.node(colId, kind | (naLeft ? NA_LEFT : 0), split, range, bitStart);
      const below: Range | null = kind === BITSET ? range : lastBitset;
      const rightIsLeaf = (((nodeType & 0xc0) >> 2) & 16) !== 0;
      stack.push({ node, leftAt, rightAt, rightIsLeaf, below, depth, onRight: false });
      if (lmask & 16) {
        ref = ~b.leaf.push(f32(leftAt));
        end = leftAt + 4;
        descend = false;
      } else {
        at = leftAt;
        depth++;
        lastBitset = below;
        continue;
      }
    }
    // A subtree is finished: it is its parent's left or right child.
    const top = stack[stack.length - 1];
    if (!top) break;
    if (top.onRight) {
      b.child(top.node, true, ref);
      stack.pop();
      ref = top.node;
      continue;
    }
    b.child(top.node, false, ref);
    if (end !== top.rightAt) damaged(top.leftAt, `left subtree ends at ${end}, its size says ${top.rightAt}`);
    if (top.rightIsLeaf) {
      b.child(top.node, true, ~b.leaf.push(f32(top.rightAt)));
      stack.pop();
      ref = top.node;
      end = top.rightAt + 4;
      continue;
    }
    top.onRight = true;
    at = top.rightAt;
    depth = top.depth + 1;
    lastBitset = top.below;
    descend = true;
  }
  if (end !== tree.length) damaged(end, `${tree.length - end} bytes after the tree`);
  return ref;
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
