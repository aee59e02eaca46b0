/**
 * A Blob-shaped, file-backed view that reads byte ranges on demand. Deno's `node:fs` `openAsBlob` reads the whole
 * file into memory (measured: +1.1 GB RSS for a 600 MB file); Parquet readers only need the footer and the column
 * chunks they decode. parquet-wasm uses nothing but `size`, `slice()` and `arrayBuffer()`.
 * @module
 */

/**
 * Bytes `[start, end)` of a file, read when asked.
 *
 * @example
 * ```ts
 * const file = await openFileRange("train.parquet");
 * const footer = await file.slice(-8).arrayBuffer(); // reads 8 bytes
 * const parquet = await ParquetFile.fromFile(file.asBlob());
 * ```
 */
export class FileRange {
  constructor(readonly path: string, readonly start: number, readonly end: number) {}

  get size(): number {
    return this.end - this.start;
  }

  /** A sub-range, with Blob semantics (negative offsets count from the end, bounds are clamped). */
  slice(start = 0, end = this.size): FileRange {
    const clamp = (offset: number) => Math.min(Math.max(offset < 0 ? this.size + offset : offset, 0), this.size);
    const [from, to] = [clamp(start), clamp(end)];
    return new FileRange(this.path, this.start + from, this.start + Math.max(from, to));
  }

  /** Reads the range (its own file handle, so concurrent reads cannot disturb each other's position). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const buffer = new Uint8Array(this.size);
    using file = await Deno.open(this.path);
    await file.seek(this.start, Deno.SeekMode.Start);
    for (let filled = 0; filled < buffer.length;) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) {
        throw new Error(
          `${this.path} ended at byte ${this.start + filled}, before ${this.end}: truncated while reading?`,
        );
      }
      filled += n;
    }
    return buffer.buffer;
  }

  /** This range typed as a Blob, for APIs (parquet-wasm) that use only `size`, `slice` and `arrayBuffer`. */
  asBlob(): Blob {
    return this as unknown as Blob;
  }
}

/** The whole file as a {@link FileRange}. */
export async function openFileRange(path: string): Promise<FileRange> {
  return new FileRange(path, 0, (await Deno.stat(path)).size);
}
