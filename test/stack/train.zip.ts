/** Reads one entry of a zip file (enough to check a MOJO's model.ini without a zip dependency). */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** The entry names of a zip and a reader for one entry; throws when the file is not a zip. */
export function openZip(path: string): { names: string[]; read(name: string): Buffer } {
  const buf = readFileSync(path);
  // End of central directory: signature 0x06054b50 within the last 64 KB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path} is not a zip (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, { method: number; size: number; local: number }>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: bad central directory entry ${n}`);
    const method = buf.readUInt16LE(offset + 10);
    const size = buf.readUInt32LE(offset + 20);
    const nameLen = buf.readUInt16LE(offset + 28);
    const extraLen = buf.readUInt16LE(offset + 30);
    const commentLen = buf.readUInt16LE(offset + 32);
    const local = buf.readUInt32LE(offset + 42);
    entries.set(buf.toString('utf8', offset + 46, offset + 46 + nameLen), { method, size, local });
    offset += 46 + nameLen + extraLen + commentLen;
  }
  return {
    names: [...entries.keys()],
    read(name: string): Buffer {
      const e = entries.get(name);
      if (!e) throw new Error(`${path} has no entry ${name}`);
      const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
      const data = buf.subarray(start, start + e.size);
      return e.method === 0 ? data : inflateRawSync(data);
    },
  };
}
