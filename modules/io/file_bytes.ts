/**
 * Opening a data file as a byte stream, transparently gunzipping it when it starts with the gzip magic bytes.
 * @module
 */
import { Duplex } from "node:stream";
import { createGunzip } from "node:zlib";
import { DataError } from "@saeflow/core";

/** True when the file starts with the gzip magic bytes 1f 8b (whatever its name says). */
export async function isGzipFile(path: string): Promise<boolean> {
  using file = await Deno.open(path);
  const head = new Uint8Array(2);
  let filled = 0;
  while (filled < 2) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The file's bytes as a stream, decompressed when gzip. Errors name the file: a missing file, a corrupt or truncated
 * gzip member.
 *
 * @example
 * ```ts
 * const bytes = await openFileBytes("../shared/data/sklearn-digits/digits.csv.gz"); // yields the plain CSV bytes
 * ```
 */
export async function openFileBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  let gzip: boolean;
  try {
    gzip = await isGzipFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(path, {}, "file not found", "an existing file", { cause: error });
    }
    throw error;
  }
  const file = await Deno.open(path);
  if (!gzip) return file.readable;
  return renameErrors(
    file.readable.pipeThrough(gunzipStream()),
    (error) =>
      new DataError(
        path,
        {},
        `gzip data is corrupt or truncated (${(error as Error).message})`,
        "a complete gzip file",
        { cause: error },
      ),
  );
}

/**
 * A gzip decompressor that also reads multi-member files (`cat a.gz b.gz`, pigz, bgzip), as `zcat` does; the web
 * DecompressionStream stops with an error after the first member.
 */
function gunzipStream(): ReadableWritablePair<Uint8Array, Uint8Array> {
  return Duplex.toWeb(createGunzip()) as ReadableWritablePair<Uint8Array, Uint8Array>;
}

/** Passes `source` through, replacing the error it fails with by `rename(error)`. */
export function renameErrors<T>(source: ReadableStream<T>, rename: (error: unknown) => unknown): ReadableStream<T> {
  const reader = source.getReader();
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(rename(error));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/** The name of a data file without directories and without a trailing `.gz` ("train.csv.gz" → "train.csv"). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop()!.replace(/\.gz$/i, "");
}

/** The name without directories and extensions ("data/train.csv.gz" → "train"), used in default record ids. */
export function stemName(path: string): string {
  return baseName(path).replace(/\.[^.]+$/, "");
}
