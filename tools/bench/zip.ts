/**
 * A zip writer that packs a folder the way the CDK CLI packs a Lambda asset (cdk-assets: archiver's
 * `zip` format at zlib's default level, every entry deflated and followed by a data descriptor,
 * dates reset to 1980-01-01, file modes kept), so the benchmark can report the bytes that would be
 * uploaded without running the CLI. The deflate is a parameter: `bundle:handler` writes the shipped
 * asset zips with the same writer and Zopfli's deflate (`tools/scripts/zip-assets.ts`).
 *
 * Beside it, a reader of such archives ({@link unzip}), for the local cloud, which runs a function
 * from its zip asset.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/* eslint-disable no-bitwise -- CRC-32 is defined on 32-bit words */
/** CRC-32 (IEEE), as zip stores it. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `data`, as a zip entry's header stores it. */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
/* eslint-enable no-bitwise */

/** One file to pack: its name in the archive, its content and its mode. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly mode?: number;
}

/** Every file under `dir` (dot files included), sorted, as cdk-assets globs them. */
export function filesOf(dir: string): ZipEntry[] {
  const out: ZipEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const relative = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relative);
      const stat = fs.statSync(full);
      if (stat.isDirectory()) walk(relative);
      else out.push({ name: relative, data: fs.readFileSync(full), mode: stat.mode });
    }
  };
  walk('');
  return out;
}

/** DOS date and time of 1980-01-01 00:00:00. */
const DOS_TIME = 0;
const DOS_DATE = 0x21; // year 0 (1980), month 1, day 1

/** A raw deflate (RFC 1951, no zlib or gzip wrapper) of one entry's data. */
export type Deflate = (data: Buffer) => Buffer;

/** zlib at its default level, as the CDK CLI deflates an asset's files. */
const ZLIB_DEFLATE: Deflate = (data) => zlib.deflateRawSync(data);

/** An entry with its data deflated. */
interface DeflatedEntry extends ZipEntry {
  readonly compressed: Buffer;
}

/** A zip archive of `entries`, each deflated by `deflate` (zlib's default level unless given). */
export function zip(entries: readonly ZipEntry[], deflate: Deflate = ZLIB_DEFLATE): Buffer {
  return archive(entries.map((entry) => ({ ...entry, compressed: deflate(entry.data) })));
}

/** {@link zip} with a deflate that answers later, such as Zopfli's (`deflateAsync`). */
export async function zipAsync(entries: readonly ZipEntry[], deflate: (data: Buffer) => Promise<Uint8Array>): Promise<Buffer> {
  const deflated: DeflatedEntry[] = [];
  for (const entry of entries) deflated.push({ ...entry, compressed: Buffer.from(await deflate(entry.data)) });
  return archive(deflated);
}

/** The archive of entries already deflated. */
function archive(entries: readonly DeflatedEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = entry.compressed;
    const crc = crc32(entry.data);
    const flags = 0x0808; // 0x0008: a data descriptor follows; 0x0800: UTF-8 names
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(compressed.length, 8);
    descriptor.writeUInt32LE(entry.data.length, 12);
    parts.push(local, name, compressed, descriptor);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x0314, 4); // made by Unix (3), zip 2.0
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(((entry.mode ?? 0o100644) % 0x10000) * 0x10000, 38); // Unix mode in the high 16 bits
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += local.length + name.length + compressed.length + descriptor.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

/**
 * The files of a zip archive (stored or deflated entries; folders skipped), each checked against the
 * CRC-32 and size its central directory header gives.
 *
 * @throws Error when `data` is no zip this reader knows, an entry's data does not match its
 *   header, or a name leaves the archive's root (absolute, or with a `..` part)
 */
export function unzip(data: Buffer): ZipEntry[] {
  // The end of central directory record: 22 bytes, then a comment of at most 65,535.
  let end = -1;
  for (let at = data.length - 22; at >= Math.max(0, data.length - 22 - 0xffff); at--) {
    if (data.readUInt32LE(at) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip archive: no end of central directory record');
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip entry ${i}: no central directory header at ${at}`);
    const method = data.readUInt16LE(at + 10);
    const crc = data.readUInt32LE(at + 16);
    const compressedSize = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const mode = Math.floor(data.readUInt32LE(at + 38) / 0x10000);
    const localAt = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (name.startsWith('/') || name.split(/[\\/]/).includes('..')) throw new Error(`zip entry ${name}: leaves the archive's root`);
    if (data.readUInt32LE(localAt) !== 0x04034b50) throw new Error(`zip entry ${name}: no local header at ${localAt}`);
    const start = localAt + 30 + data.readUInt16LE(localAt + 26) + data.readUInt16LE(localAt + 28);
    const raw = data.subarray(start, start + compressedSize);
    const content = method === 0 ? Buffer.from(raw)
      : method === 8 ? zlib.inflateRawSync(raw)
        : undefined;
    if (content === undefined) throw new Error(`zip entry ${name}: compression method ${method} is not stored (0) or deflate (8)`);
    if (content.length !== size || crc32(content) !== crc) throw new Error(`zip entry ${name}: its data does not match its CRC-32 and size`);
    out.push({ name, data: content, ...(mode ? { mode } : {}) });
  }
  return out;
}
