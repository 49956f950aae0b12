/**
 * Reads a MOJO zip from a buffer, checking every entry's CRC-32 and sizes up front, so a truncated or altered
 * file is refused at load time and can never score. node:zlib does the inflating and the CRC; a zip
 * library would add a dependency without the checks we need (yauzl and fflate do not verify CRCs).
 *
 * Only what H2O writes is accepted: stored (0) or deflated (8) entries, no encryption, no zip64.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { MojoError } from '../shared/errors';

/** A MOJO's entries are small (the largest is a tree of a few MB); this caps a zip bomb. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
const MAX_ENTRIES = 200_000;

export interface ZipEntries {
  names(): string[];
  has(name: string): boolean;
  /** The entry's bytes, inflated and CRC-checked; throws MojoError when absent or damaged. */
  read(name: string): Buffer;
}

interface Entry {
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  flags: number;
}

export function readZip(buf: Buffer, mojo: string): ZipEntries {
  const fail = (reason: string): never => {
    throw new MojoError(mojo, 'zip', reason);
  };
  const u16 = (at: number): number => (at + 2 <= buf.length ? buf.readUInt16LE(at) : fail(`truncated at byte ${at}`));
  const u32 = (at: number): number => (at + 4 <= buf.length ? buf.readUInt32LE(at) : fail(`truncated at byte ${at}`));

  // End of central directory: within the last 64 KiB + 22 bytes (the comment can be up to 64 KiB).
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(`not a zip file (${buf.length} bytes, no end of central directory): truncated or not a MOJO`);
  const count = u16(eocd + 10);
  const dirSize = u32(eocd + 12);
  let offset = u32(eocd + 16);
  if (count > MAX_ENTRIES) fail(`${count} entries (at most ${MAX_ENTRIES})`);
  if (offset + dirSize > eocd)
    fail(`central directory at ${offset}+${dirSize} overlaps its end record at ${eocd}: truncated`);

  const entries = new Map<string, Entry>();
  for (let n = 0; n < count; n++) {
    if (u32(offset) !== 0x02014b50) fail(`central directory entry ${n} at byte ${offset} has a bad signature`);
    const flags = u16(offset + 8);
    const nameLen = u16(offset + 28);
    const name = buf.toString('utf8', offset + 46, offset + 46 + nameLen);
    const entry: Entry = {
      flags,
      method: u16(offset + 10),
      crc: u32(offset + 16),
      compressedSize: u32(offset + 20),
      size: u32(offset + 24),
      localOffset: u32(offset + 42),
    };
    if (flags & 1) fail(`entry ${JSON.stringify(name)} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8)
      fail(`entry ${JSON.stringify(name)} uses compression method ${entry.method} (only stored and deflate)`);
    if (entry.size > MAX_ENTRY_BYTES)
      fail(`entry ${JSON.stringify(name)} is ${entry.size} bytes (at most ${MAX_ENTRY_BYTES})`);
    if (entries.has(name)) fail(`entry ${JSON.stringify(name)} appears twice`);
    entries.set(name, entry);
    offset += 46 + nameLen + u16(offset + 30) + u16(offset + 32);
  }

  const zip: ZipEntries = {
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    read(name) {
      const e = entries.get(name);
      if (!e) throw new MojoError(mojo, name, 'entry is missing from the zip');
      const at = e.localOffset;
      if (u32(at) !== 0x04034b50) fail(`entry ${JSON.stringify(name)}: bad local header at byte ${at}`);
      const start = at + 30 + u16(at + 26) + u16(at + 28);
      const end = start + e.compressedSize;
      if (end > buf.length) fail(`entry ${JSON.stringify(name)} runs past the end of the file: truncated`);
      const raw = buf.subarray(start, end);
      let data: Buffer;
      try {
        data = e.method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: MAX_ENTRY_BYTES });
      } catch (err) {
        throw new MojoError(mojo, name, `cannot be inflated (${(err as Error).message}): the file is damaged`);
      }
      if (data.length !== e.size)
        throw new MojoError(mojo, name, `is ${data.length} bytes, the zip says ${e.size}: the file is damaged`);
      if (crc32(data) !== e.crc) throw new MojoError(mojo, name, 'fails its CRC-32 check: the file is damaged');
      return data;
    },
  };
  // Every entry is checked, also those scoring never reads (model details, aux trees): an altered
  // file is refused as altered, not served because the change happened to miss the trees.
  for (const name of entries.keys()) zip.read(name);
  return zip;
}
