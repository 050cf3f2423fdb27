/**
 * A zip writer that packs a folder the way the CDK CLI packs a Lambda asset (cdk-assets: archiver's
 * `zip` format at zlib's default level, every entry deflated and followed by a data descriptor,
 * dates reset to 1980-01-01, file modes kept), so the benchmark can report the bytes that would be
 * uploaded without running the CLI.
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

function crc32(data: Buffer): number {
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

/** A zip archive of `entries`. */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = zlib.deflateRawSync(entry.data);
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
