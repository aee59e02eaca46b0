/**
 * A safetensors file open for reading: the header is parsed and checked once, then each tensor is read on demand
 * by position, so that opening a 10 GB checkpoint costs its header and reading one tensor costs that tensor.
 * @module
 */
import { DataError } from "@saeflow/core";
import { DTYPE_BYTES } from "./dtype.ts";
import { MAX_HEADER_BYTES, parseSafetensorsHeader, type TensorEntry } from "./safetensors_header.ts";
import { float32Decoder } from "./to_float32.ts";

/** Non-F32 tensors are converted this many bytes at a time, so a read needs little more than its float32 result. */
const CHUNK_BYTES = 8 * 2 ** 20;

/**
 * One safetensors file: its metadata, its tensors' dtypes, shapes and absolute byte ranges, and reads of any
 * tensor as raw bytes or float32.
 *
 * @example
 * ```ts
 * await using file = await SafetensorsFile.open("model.safetensors");
 * file.tensors.get("lm_head.weight"); // { dtype: "BF16", shape: [32000, 2048], begin, end }
 * const weights = await file.readFloat32("lm_head.weight"); // Float32Array(65536000)
 * ```
 */
export class SafetensorsFile implements Disposable, AsyncDisposable {
  readonly #file: Deno.FsFile;
  /** Reads share one handle and its position, so they take turns. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly path: string,
    /** File size in bytes. */
    readonly size: number,
    /** The `__metadata__` entry of the header (`{}` when it has none). */
    readonly metadata: Readonly<Record<string, string>>,
    readonly tensors: ReadonlyMap<string, TensorEntry>,
    file: Deno.FsFile,
  ) {
    this.#file = file;
  }

  /** Opens the file and checks its header; a DataError names the file and what is wrong with it. */
  static async open(path: string): Promise<SafetensorsFile> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new DataError(path, {}, "file not found", "a safetensors file", { cause: error });
      }
      throw error;
    }
    try {
      const size = (await file.stat()).size;
      if (size < 8) {
        throw new DataError(path, {}, `file has ${size} bytes, fewer than the 8-byte header length`, FORMAT);
      }
      const prefix = new Uint8Array(8);
      await readFully(file, path, 0, prefix, "the header length");
      const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
      if (headerLength > BigInt(size - 8)) {
        throw new DataError(
          path,
          {},
          `header length ${headerLength} runs past the end of the file (${size} bytes): not safetensors, or truncated`,
          FORMAT,
        );
      }
      if (headerLength > BigInt(MAX_HEADER_BYTES)) {
        throw new DataError(
          path,
          {},
          `header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`,
          FORMAT,
        );
      }
      const header = new Uint8Array(Number(headerLength));
      await readFully(file, path, 8, header, "the header");
      const { metadata, tensors } = parseSafetensorsHeader(path, header, size);
      return new SafetensorsFile(path, size, metadata, tensors, file);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The entry of tensor `name`; a DataError naming the file and the tensor when there is none. */
  entry(name: string): TensorEntry {
    const entry = this.tensors.get(name);
    if (!entry) {
      throw new DataError(
        this.path,
        {},
        `no tensor ${JSON.stringify(name)}`,
        `one of the file's ${this.tensors.size} tensors`,
      );
    }
    return entry;
  }

  /** The tensor's raw little-endian bytes, in a buffer of their own (offset 0, so typed-array views line up). */
  async read(name: string): Promise<Uint8Array<ArrayBuffer>> {
    const entry = this.entry(name);
    const bytes = new Uint8Array(entry.end - entry.begin);
    await this.#exclusive(() => readFully(this.#file, this.path, entry.begin, bytes, `tensor ${JSON.stringify(name)}`));
    return bytes;
  }

  /**
   * The tensor as float32: F32 as stored, F16 and BF16 widened exactly, F64 and integers rounded to nearest, BOOL
   * as 0/1. The 8-bit floats are a DataError. Peak memory is the result plus one 8 MiB chunk.
   */
  async readFloat32(name: string): Promise<Float32Array<ArrayBuffer>> {
    const entry = this.entry(name);
    const what = `tensor ${JSON.stringify(name)}`;
    const decode = float32Decoder(entry.dtype);
    if (!decode) {
      throw new DataError(
        this.path,
        {},
        `${what} is ${entry.dtype}, which cannot be read as float32`,
        "F64, F32, F16, BF16 or an integer dtype (read the raw bytes with read())",
      );
    }
    const elementBytes = DTYPE_BYTES[entry.dtype];
    const out = new Float32Array((entry.end - entry.begin) / elementBytes);
    if (entry.dtype === "F32") {
      await this.#exclusive(() => readFully(this.#file, this.path, entry.begin, new Uint8Array(out.buffer), what));
      return out;
    }
    await this.#exclusive(async () => {
      const chunkElements = Math.max(1, Math.floor(CHUNK_BYTES / elementBytes));
      const chunk = new Uint8Array(Math.min(chunkElements, out.length) * elementBytes);
      for (let start = 0; start < out.length; start += chunkElements) {
        const part = out.subarray(start, start + chunkElements);
        const bytes = chunk.subarray(0, part.length * elementBytes);
        await readFully(this.#file, this.path, entry.begin + start * elementBytes, bytes, what);
        decode(bytes, part);
      }
    });
    return out;
  }

  /** Closes the file; reads still queued fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Lets reads in flight finish, then closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#queue;
    this.close();
  }

  #exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new Error(`${this.path}: read after close()`);
      return task();
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}

const FORMAT = "a safetensors file: an 8-byte little-endian header length, a JSON header, then the tensor data";

/** Fills `target` with the bytes at `position`; running out of file is a DataError (it shrank after opening). */
async function readFully(
  file: Deno.FsFile,
  path: string,
  position: number,
  target: Uint8Array,
  what: string,
): Promise<void> {
  await file.seek(position, Deno.SeekMode.Start);
  for (let filled = 0; filled < target.length;) {
    const n = await file.read(target.subarray(filled));
    if (n === null) {
      throw new DataError(
        path,
        {},
        `file is truncated: ${what} needs bytes up to ${position + target.length} but the file ended at ${
          position + filled
        }`,
        "a file that is not changed while it is read",
      );
    }
    filled += n;
  }
}
