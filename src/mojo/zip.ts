/**
 * Reads a MOJO zip from a buffer. Opening it checks the layout only, without inflating anything: every
 * entry's local header and compressed bytes lie inside the file, before the central directory, and
 * apart from every other entry's (the overlapping-entry zip bomb shares one deflated run between
 * thousands of entries); the local header names the entry the central directory names; and the
 * declared sizes, together, fit the load's budget (budget.ts). Entries are then inflated one at a time,
 * each at most once and never past its declared size, and CRC-checked, so a truncated or altered file
 * is refused at load time and can never score. node:zlib does the inflating and the CRC; a zip library
 * would add a dependency without the checks we need (yauzl and fflate do not verify CRCs).
 *
 * Only what H2O writes is accepted: stored (0) or deflated (8) entries, no encryption, no zip64, one disk.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { MojoError } from '../shared/errors';
import { loadBudget, mib } from './budget';

export interface ZipEntries {
  names(): string[];
  has(name: string): boolean;
  /** the size the central directory declares, before anything is inflated; throws when absent */
  declaredSize(name: string): number;
  /** The entry's bytes, inflated and CRC-checked; throws MojoError when absent or damaged. */
  read(name: string): Buffer;
  /** Inflates and CRC-checks every entry `read` has not, keeping none of them. */
  verifyUnread(): void;
}

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  dataStart: number;
  dataEnd: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Opens the zip and checks every entry (for callers that read it whole, such as tests rewriting one). */
export function readZip(buf: Buffer, mojo: string): ZipEntries {
  const zip = openZip(buf, mojo);
  zip.verifyUnread();
  return zip;
}

/** Opens the zip: its layout checked, nothing inflated yet. */
export function openZip(buf: Buffer, mojo: string): ZipEntries {
  const fail = (reason: string): never => {
    throw new MojoError(mojo, 'zip', reason);
  };
  const u16 = (at: number): number => (at + 2 <= buf.length ? buf.readUInt16LE(at) : fail(`truncated at byte ${at}`));
  const u32 = (at: number): number => (at + 4 <= buf.length ? buf.readUInt32LE(at) : fail(`truncated at byte ${at}`));

  // End of central directory: within the last 64 KiB + 22 bytes (the comment can be up to 64 KiB).
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(`not a zip file (${buf.length} bytes, no end of central directory): truncated or not a MOJO`);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) fail('spans several disks');
  const count = u16(eocd + 10);
  if (u16(eocd + 8) !== count) fail(`lists ${count} entries, ${u16(eocd + 8)} of them on this disk`);
  const dirSize = u32(eocd + 12);
  const dirStart = u32(eocd + 16);
  if (count === 0xffff || dirStart === 0xffffffff) fail('is a zip64 file (H2O writes plain zips)');
  const dirEnd = dirStart + dirSize;
  if (dirEnd > eocd) fail(`central directory at ${dirStart}+${dirSize} overlaps its end record at ${eocd}: truncated`);

  const budget = loadBudget();
  const entries = new Map<string, Entry>();
  let declared = 0;
  let p = dirStart;
  for (let n = 0; n < count; n++) {
    if (p + 46 > dirEnd) fail(`central directory entry ${n} at byte ${p} runs past the directory's end at ${dirEnd}`);
    if (u32(p) !== CENTRAL) fail(`central directory entry ${n} at byte ${p} has a bad signature`);
    const flags = u16(p + 8);
    const nameLen = u16(p + 28);
    const next = p + 46 + nameLen + u16(p + 30) + u16(p + 32);
    if (next > dirEnd) fail(`central directory entry ${n} at byte ${p} runs past the directory's end at ${dirEnd}`);
    const rawName = buf.subarray(p + 46, p + 46 + nameLen);
    const name = rawName.toString('utf8');
    const quoted = JSON.stringify(name);
    const method = u16(p + 10);
    const compressedSize = u32(p + 20);
    const size = u32(p + 24);
    const localOffset = u32(p + 42);
    if (flags & 1) fail(`entry ${quoted} is encrypted`);
    if (method !== 0 && method !== 8)
      fail(`entry ${quoted} uses compression method ${method} (only stored and deflate)`);
    if (method === 0 && compressedSize !== size)
      fail(`entry ${quoted} is stored as ${compressedSize} bytes but declares ${size}`);
    if (entries.has(name)) fail(`entry ${quoted} appears twice`);

    // Its local header and data: inside the file, before the central directory, naming the same entry.
    if (localOffset + 30 > dirStart)
      fail(
        `entry ${quoted}: its local header at byte ${localOffset} is not before the central directory at ${dirStart}`,
      );
    if (u32(localOffset) !== LOCAL) fail(`entry ${quoted}: bad local header at byte ${localOffset}`);
    const localNameLen = u16(localOffset + 26);
    const dataStart = localOffset + 30 + localNameLen + u16(localOffset + 28);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > dirStart)
      fail(
        `entry ${quoted}: its ${compressedSize} bytes from byte ${dataStart} run into the central directory at ${dirStart}: truncated or damaged`,
      );
    if (!buf.subarray(localOffset + 30, localOffset + 30 + localNameLen).equals(rawName))
      fail(`entry ${quoted}: its local header at byte ${localOffset} names another entry`);
    if (u16(localOffset + 8) !== method) fail(`entry ${quoted}: its local header declares another compression method`);

    declared += size;
    if (declared > budget.inflatedBytes)
      fail(
        `entry ${quoted} brings the declared sizes to ${declared} bytes, past the load's budget of ${mib(budget.inflatedBytes)} (1/32 of a ${mib(budget.heapBytes)} heap)`,
      );
    entries.set(name, { name, method, crc: u32(p + 16), compressedSize, size, localOffset, dataStart, dataEnd });
    p = next;
  }

  // No two entries share bytes: sorted by offset, each starts at or after the end of the one before.
  const byOffset = [...entries.values()].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const before = byOffset[i - 1]!;
    const e = byOffset[i]!;
    if (e.localOffset < before.dataEnd)
      fail(
        `entry ${JSON.stringify(e.name)} at byte ${e.localOffset} overlaps entry ${JSON.stringify(before.name)} (bytes ${before.localOffset} to ${before.dataEnd}): the file is damaged or a zip bomb`,
      );
  }

  const verified = new Set<string>();
  const inflate = (e: Entry): Buffer => {
    const raw = buf.subarray(e.dataStart, e.dataEnd);
    let data: Buffer;
    try {
      // never more than it declares: the declared sizes are what the budget counted
      data = e.method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      throw new MojoError(
        mojo,
        e.name,
        `cannot be inflated to its ${e.size} bytes (${(err as Error).message}): the file is damaged`,
      );
    }
    if (data.length !== e.size)
      throw new MojoError(mojo, e.name, `is ${data.length} bytes, the zip says ${e.size}: the file is damaged`);
    if (crc32(data) !== e.crc) throw new MojoError(mojo, e.name, 'fails its CRC-32 check: the file is damaged');
    verified.add(e.name);
    return data;
  };
  const entry = (name: string): Entry => {
    const e = entries.get(name);
    if (!e) throw new MojoError(mojo, name, 'entry is missing from the zip');
    return e;
  };
  return {
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    declaredSize: (name) => entry(name).size,
    read: (name) => inflate(entry(name)),
    // Also the entries scoring never reads (model details): an altered file is refused as altered, not
    // served because the change happened to miss the trees. Within the budget, as everything inflated.
    verifyUnread() {
      for (const e of entries.values()) if (!verified.has(e.name)) inflate(e);
    },
  };
}
