/**
 * The central directory of a zip archive (an `.npz` is one), read from the file's tail with positioned reads: the
 * members' names, sizes and where their bytes start, without reading the members. A Gemma Scope 1M-wide
 * `params.npz` is 19 GB, so the ZIP64 records (sizes and offsets past 4 GB) are read too.
 * @module
 */
import { DataError } from "@saeflow/core";

/** One member of a zip archive. */
export interface ZipEntry {
  name: string;
  /** Compression method: 0 stored, 8 deflate, 12 bzip2, 14 lzma, 93 zstd. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Absolute offset of the member's local file header. */
  localHeaderOffset: number;
  /** Absolute offset of the member's first data byte (after its local header, name and extra field). */
  dataOffset: number;
}

/** A zip archive's directory. */
export interface ZipDirectory {
  path: string;
  /** File size in bytes. */
  size: number;
  /** Whether the archive has a ZIP64 end record (and so may hold sizes or offsets past 4 GB). */
  zip64: boolean;
  entries: ZipEntry[];
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_BYTES = 56;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_BYTES = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_BYTES = 30;
const ZIP64_EXTRA_ID = 0x0001;
const FORMAT = "a zip archive (an .npz is one)";

const METHOD_NAMES: Record<number, string> = {
  0: "stored",
  8: "deflate",
  9: "deflate64",
  12: "bzip2",
  14: "lzma",
  93: "zstd",
};

/**
 * The name of a zip compression method (`deflate` for 8), or `method N` for one without a common name.
 *
 * @example
 * ```ts
 * compressionName(8); // "deflate"
 * ```
 */
export function compressionName(method: number): string {
  return METHOD_NAMES[method] ?? `method ${method}`;
}

/**
 * Reads the central directory of the zip archive at `path`: the end record at the file's tail (and the ZIP64 end
 * record it points to), the directory, and each member's 30-byte local header for where its data starts. Nothing
 * else is read. A DataError names the file for what is not a zip, truncated, or corrupt.
 *
 * @example
 * ```ts
 * const { entries } = await readZipDirectory("layer_12/width_16k/average_l0_82/params.npz");
 * entries.map((e) => e.name); // ["W_dec.npy", "W_enc.npy", "b_dec.npy", "b_enc.npy", "threshold.npy"]
 * ```
 */
export async function readZipDirectory(path: string): Promise<ZipDirectory> {
  using file = await openFile(path, FORMAT);
  return await readZipDirectoryOf(file, path);
}

/** {@link readZipDirectory} on a file already open (its position is moved). */
export async function readZipDirectoryOf(file: Deno.FsFile, path: string): Promise<ZipDirectory> {
  const size = (await file.stat()).size;
  const tailStart = Math.max(0, size - (EOCD_BYTES + MAX_COMMENT_BYTES + ZIP64_LOCATOR_BYTES));
  const tail = await readAt(file, path, tailStart, size - tailStart, "the end of the archive");
  const at = findEndRecord(tail);
  if (at < 0) {
    const head = await readAt(file, path, 0, Math.min(4, size), "the start of the archive");
    const startsLikeZip = head.length === 4 && view(head).getUint32(0, true) === LOCAL_SIGNATURE;
    throw new DataError(
      path,
      {},
      startsLikeZip
        ? "starts like a zip archive but has no end-of-central-directory record: truncated (an interrupted download?)"
        : `not a zip archive: no end-of-central-directory record in its last ${size - tailStart} bytes`,
      FORMAT,
    );
  }
  const eocd = view(tail, at);
  const eocdOffset = tailStart + at;
  if (eocd.getUint16(4, true) !== 0 || eocd.getUint16(6, true) !== 0) {
    throw new DataError(path, {}, "is one part of a multi-disk (split) zip archive", "a single-file zip archive");
  }
  let count = eocd.getUint16(10, true);
  let directorySize = eocd.getUint32(12, true);
  let directoryOffset = eocd.getUint32(16, true);
  let directoryEnd = eocdOffset;
  const zip64 = at >= ZIP64_LOCATOR_BYTES && view(tail, at - ZIP64_LOCATOR_BYTES).getUint32(0, true) ===
      ZIP64_LOCATOR_SIGNATURE;
  if (zip64) {
    const locator = view(tail, at - ZIP64_LOCATOR_BYTES);
    const recordOffset = uint64(locator, 8, path, "the ZIP64 end record offset");
    if (recordOffset + ZIP64_EOCD_BYTES > eocdOffset - ZIP64_LOCATOR_BYTES) {
      throw new DataError(
        path,
        {},
        `the ZIP64 end record offset ${recordOffset} does not lie before its locator at ${
          eocdOffset - ZIP64_LOCATOR_BYTES
        }: corrupt`,
        FORMAT,
      );
    }
    const record = view(await readAt(file, path, recordOffset, ZIP64_EOCD_BYTES, "the ZIP64 end record"));
    if (record.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new DataError(
        path,
        {},
        `no ZIP64 end record at offset ${recordOffset}, where its locator points: corrupt`,
        FORMAT,
      );
    }
    count = uint64(record, 32, path, "the ZIP64 entry count");
    directorySize = uint64(record, 40, path, "the ZIP64 central directory size");
    directoryOffset = uint64(record, 48, path, "the ZIP64 central directory offset");
    directoryEnd = recordOffset;
  }
  if (directoryOffset + directorySize > directoryEnd) {
    throw new DataError(
      path,
      {},
      `the central directory (bytes ${directoryOffset}-${
        directoryOffset + directorySize
      }) runs past the end record at ${directoryEnd}: corrupt, or not the whole archive`,
      FORMAT,
    );
  }
  const directory = await readAt(file, path, directoryOffset, directorySize, "the central directory");
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_BYTES > directory.length || view(directory, p).getUint32(0, true) !== CENTRAL_SIGNATURE) {
      throw new DataError(
        path,
        {},
        `central directory entry ${i + 1} of ${count} is missing or has a bad signature (at offset ${
          directoryOffset + p
        })`,
        FORMAT,
      );
    }
    const header = view(directory, p);
    const nameLength = header.getUint16(28, true);
    const extraLength = header.getUint16(30, true);
    const commentLength = header.getUint16(32, true);
    if (p + CENTRAL_BYTES + nameLength + extraLength + commentLength > directory.length) {
      throw new DataError(path, {}, `central directory entry ${i + 1} of ${count} runs past the directory`, FORMAT);
    }
    const name = new TextDecoder().decode(directory.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLength));
    if (header.getUint16(8, true) & 1) {
      throw new DataError(path, {}, `member ${name} is encrypted`, "unencrypted members");
    }
    const extra = directory.subarray(p + CENTRAL_BYTES + nameLength, p + CENTRAL_BYTES + nameLength + extraLength);
    const sizes = zip64Sizes(
      {
        uncompressedSize: header.getUint32(24, true),
        compressedSize: header.getUint32(20, true),
        localHeaderOffset: header.getUint32(42, true),
      },
      extra,
      path,
      name,
    );
    entries.push({
      name,
      method: header.getUint16(10, true),
      crc32: header.getUint32(16, true),
      ...sizes,
      dataOffset: NaN,
    });
    p += CENTRAL_BYTES + nameLength + extraLength + commentLength;
  }
  for (const entry of entries) {
    entry.dataOffset = await dataOffset(file, path, entry, directoryOffset);
  }
  return { path, size, zip64, entries };
}

/**
 * Reads exactly `length` bytes at `position` into a buffer of their own; running out of file is a DataError naming
 * the file and `what` was being read.
 *
 * @example
 * ```ts
 * using file = await Deno.open("params.npz");
 * const magic = await readAt(file, "params.npz", 0, 4, "the local header");
 * ```
 */
export async function readAt(
  file: Deno.FsFile,
  path: string,
  position: number,
  length: number,
  what: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const target = new Uint8Array(length);
  await file.seek(position, Deno.SeekMode.Start);
  for (let filled = 0; filled < length;) {
    const n = await file.read(target.subarray(filled));
    if (n === null) {
      throw new DataError(
        path,
        {},
        `file is truncated: ${what} needs bytes up to ${position + length} but the file ends at ${position + filled}`,
        "the whole file (an interrupted download?)",
      );
    }
    filled += n;
  }
  return target;
}

/** Opens `path` for reading; a missing file is a DataError saying what was expected there. */
export async function openFile(path: string, expected: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(path, {}, "file not found", expected, { cause: error });
    }
    throw error;
  }
}

/** Where the end-of-central-directory record starts in `tail`, or -1. The last candidate whose comment fits wins. */
function findEndRecord(tail: Uint8Array): number {
  for (let at = tail.length - EOCD_BYTES; at >= 0; at--) {
    const record = view(tail, at);
    if (record.getUint32(0, true) === EOCD_SIGNATURE && at + EOCD_BYTES + record.getUint16(20, true) <= tail.length) {
      return at;
    }
  }
  return -1;
}

type Sizes = Pick<ZipEntry, "uncompressedSize" | "compressedSize" | "localHeaderOffset">;

/** Replaces each 0xFFFFFFFF field by its 64-bit value from the ZIP64 extra field (id 1), which holds them in order. */
function zip64Sizes(sizes: Sizes, extra: Uint8Array, path: string, name: string): Sizes {
  const wanted = (["uncompressedSize", "compressedSize", "localHeaderOffset"] as const).filter((key) =>
    sizes[key] === 0xffffffff
  );
  if (wanted.length === 0) return sizes;
  const out = { ...sizes };
  for (let p = 0; p + 4 <= extra.length;) {
    const field = view(extra, p);
    const id = field.getUint16(0, true);
    const length = field.getUint16(2, true);
    if (id === ZIP64_EXTRA_ID) {
      if (length < 8 * wanted.length || p + 4 + length > extra.length) break;
      wanted.forEach((key, i) => out[key] = uint64(field, 4 + 8 * i, path, `member ${name}'s ZIP64 ${key}`));
      return out;
    }
    p += 4 + length;
  }
  throw new DataError(
    path,
    {},
    `member ${name} marks ${wanted.join(", ")} as ZIP64 but has no ZIP64 extra field holding them`,
    FORMAT,
  );
}

/** The member's data starts after its local header, whose name and extra field may differ from the central copy. */
async function dataOffset(file: Deno.FsFile, path: string, entry: ZipEntry, directoryOffset: number): Promise<number> {
  if (entry.localHeaderOffset + LOCAL_BYTES > directoryOffset) {
    throw new DataError(
      path,
      {},
      `member ${entry.name}'s local header offset ${entry.localHeaderOffset} is not before the central directory at ${directoryOffset}: corrupt`,
      FORMAT,
    );
  }
  const local = view(
    await readAt(file, path, entry.localHeaderOffset, LOCAL_BYTES, `member ${entry.name}'s local header`),
  );
  if (local.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new DataError(
      path,
      {},
      `no local header for member ${entry.name} at offset ${entry.localHeaderOffset}: corrupt`,
      FORMAT,
    );
  }
  const offset = entry.localHeaderOffset + LOCAL_BYTES + local.getUint16(26, true) + local.getUint16(28, true);
  if (offset + entry.compressedSize > directoryOffset) {
    throw new DataError(
      path,
      {},
      `member ${entry.name}'s data (bytes ${offset}-${
        offset + entry.compressedSize
      }) runs into the central directory at ${directoryOffset}: corrupt`,
      FORMAT,
    );
  }
  return offset;
}

function view(bytes: Uint8Array, at = 0): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset + at, bytes.byteLength - at);
}

function uint64(data: DataView, at: number, path: string, what: string): number {
  const value = data.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DataError(path, {}, `${what} is ${value}, past 2^53`, FORMAT);
  }
  return Number(value);
}
