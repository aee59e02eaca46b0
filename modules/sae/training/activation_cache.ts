/**
 * An on-disk cache of activation rows, so that several epochs or training runs on the same activations run the model
 * once. A directory of `rows-00000.safetensors`, `rows-00001.safetensors`, … (one F32 tensor `activations` of
 * `[rows, dIn]` each) and `_cache.json`, written last: without it the cache is unfinished and is rewritten.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { readJsonFile, SafetensorsFile, writeJsonAtomic, writeSafetensors } from "@saeflow/io";
import type { RowBlock } from "./activation_rows.ts";

const MANIFEST = "_cache.json";
const TENSOR = "activations";
const ROW_FILE = /^rows-\d+\.safetensors$/;
/** Row files, and the temp files a killed atomic write leaves beside them: what clearing a cache removes. */
const ROW_OR_TEMP_FILE = /^\.?rows-\d+\.safetensors(\.[^/]+\.tmp)?$/;

/** What `_cache.json` holds. */
export interface ActivationCacheManifest {
  /** Config hash of what produced the rows (model, hook, dataset, tokenizer settings …). */
  key: string;
  /** Values per row. */
  dIn: number;
  /** Hook the rows were read at. */
  hook: string;
  /** The model that produced them, when the writer was told. */
  modelId: string | null;
  /** Row files, in order. */
  files: string[];
  /** Rows in all the files. */
  rows: number;
  /** Always true: the manifest is written only once every row file is. */
  complete: true;
}

/** Options for {@link ActivationCacheWriter.open}. */
export interface ActivationCacheWriterOptions {
  /** Values per row; a block of another width is a DataError. */
  dIn: number;
  /** Hook the rows come from, recorded in the manifest. */
  hook: string;
  /** The model that produces them, recorded in the manifest. */
  modelId?: string;
  /** Config hash of what produced the rows; a reader asks for it, and another key is never overwritten. */
  key: string;
  /** Rows per file (default 65536): what a reader holds in memory at once. */
  rowsPerFile?: number;
}

/**
 * Writes RowBlocks into a cache directory through `writable`; closing it writes the last file and `_cache.json`.
 * A directory holding the complete cache of another key is a ConfigError (never overwritten); an unfinished one
 * (no `_cache.json`) is cleared and written again.
 *
 * @example
 * ```ts
 * const writer = await ActivationCacheWriter.open("cache/l2", { dIn: 64, hook: "blocks.2.hook_resid_post", key });
 * await rowBlocks.pipeTo(writer.writable);
 * ```
 */
export class ActivationCacheWriter {
  /** Takes RowBlocks of width `dIn`; close() finishes the cache, abort() leaves it unfinished. */
  readonly writable: WritableStream<RowBlock>;

  private constructor(
    readonly dir: string,
    options: Required<Omit<ActivationCacheWriterOptions, "modelId">> & {
      modelId: string | null;
    },
  ) {
    const { dIn, rowsPerFile } = options;
    // One file's rows at a time: memory stays at rowsPerFile rows, whatever the stream's length.
    const pending = new Float32Array(rowsPerFile * dIn);
    let held = 0;
    let rows = 0;
    const files: string[] = [];
    const writeFile = async () => {
      const name = `rows-${String(files.length).padStart(5, "0")}.safetensors`;
      await writeSafetensors(`${dir}/${name}`, {
        [TENSOR]: { shape: [held, dIn], data: pending.subarray(0, held * dIn) },
      });
      files.push(name);
      rows += held;
      held = 0;
    };
    this.writable = new WritableStream<RowBlock>({
      async write(block) {
        if (block.dIn !== dIn || block.rows.length !== block.count * dIn) {
          throw new DataError(
            dir,
            {},
            `a row block of ${block.count} rows of width ${block.dIn} with ${block.rows.length} values`,
            `rows of width ${dIn} (count * dIn values), the cache's dIn`,
          );
        }
        for (let from = 0; from < block.count;) {
          const take = Math.min(rowsPerFile - held, block.count - from);
          pending.set(block.rows.subarray(from * dIn, (from + take) * dIn), held * dIn);
          held += take;
          from += take;
          if (held === rowsPerFile) await writeFile();
        }
      },
      async close() {
        if (held > 0) await writeFile();
        const manifest: ActivationCacheManifest = {
          key: options.key,
          dIn,
          hook: options.hook,
          modelId: options.modelId,
          files,
          rows,
          complete: true,
        };
        await writeJsonAtomic(`${dir}/${MANIFEST}`, manifest);
      },
    });
  }

  /** Prepares `dir` (created if absent, an unfinished cache cleared) and returns a writer. */
  static async open(dir: string, options: ActivationCacheWriterOptions): Promise<ActivationCacheWriter> {
    const { dIn, hook, modelId, key, rowsPerFile = 65536 } = options;
    for (const [name, value] of Object.entries({ dIn, rowsPerFile })) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new ConfigError(`activation cache ${dir}: ${name} ${value}; expected a positive integer`);
      }
    }
    for (const [name, value] of Object.entries({ key, hook })) {
      if (typeof value !== "string" || value === "") {
        throw new ConfigError(`activation cache ${dir}: ${name} ${JSON.stringify(value)}; expected a non-empty string`);
      }
    }
    await Deno.mkdir(dir, { recursive: true });
    const existing = await readManifest(dir);
    if (existing?.complete && existing.key !== key) {
      throw new ConfigError(
        `${dir} holds a complete activation cache of key ${existing.key}, not ${key}; ` +
          "expected an empty directory, an unfinished cache or one of the same key (use another directory, or remove it)",
      );
    }
    // The manifest goes first, so that a kill while clearing leaves an unfinished cache, never a wrong complete one.
    await Deno.remove(`${dir}/${MANIFEST}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && ROW_OR_TEMP_FILE.test(entry.name)) await Deno.remove(`${dir}/${entry.name}`);
    }
    return new ActivationCacheWriter(dir, { dIn, hook, modelId: modelId ?? null, key, rowsPerFile });
  }
}

/** A complete cache, read back. */
export interface ActivationCache {
  /** Its `_cache.json`. */
  manifest: ActivationCacheManifest;
  /** Rows in the whole cache. */
  rows: number;
  /** The rows in the order they were written, one RowBlock per file, each read only when the consumer asks. */
  stream(): ReadableStream<RowBlock>;
}

/**
 * The complete cache of `key` in `dir`, or null when there is none (no directory, or an unfinished cache), so that
 * the caller runs the model instead. A complete cache of another key, or of another dIn, is a ConfigError naming both.
 *
 * @example
 * ```ts
 * const cache = await readActivationCache("cache/l2", { key, dIn: 64 });
 * const blocks = cache ? cache.stream() : activations.pipeThrough(new ActivationRowsStream({ hook }));
 * ```
 */
export async function readActivationCache(
  dir: string,
  options: { key: string; dIn: number },
): Promise<ActivationCache | null> {
  const manifest = await readManifest(dir);
  if (!manifest?.complete) return null;
  if (manifest.key !== options.key) {
    throw new ConfigError(
      `${dir} holds the activation cache of key ${manifest.key}, not ${options.key}; ` +
        "expected a cache of the same key (use another directory, or remove it)",
    );
  }
  if (manifest.dIn !== options.dIn) {
    throw new ConfigError(
      `${dir}: the activation cache of key ${manifest.key} has dIn ${manifest.dIn}, not ${options.dIn}; ` +
        "expected the key to fix dIn (was the key computed from all the options?)",
    );
  }
  const { dIn, files } = manifest;
  return {
    manifest,
    rows: manifest.rows,
    stream() {
      let next = 0;
      let read = 0;
      return new ReadableStream<RowBlock>({
        async pull(controller) {
          if (next === files.length) {
            if (read !== manifest.rows) {
              throw new DataError(
                `${dir}/${MANIFEST}`,
                {},
                `the files hold ${read} rows`,
                `the ${manifest.rows} rows the manifest lists`,
              );
            }
            controller.close();
            return;
          }
          const path = `${dir}/${files[next++]}`;
          await using file = await SafetensorsFile.open(path);
          const { dtype, shape } = file.entry(TENSOR);
          if (dtype !== "F32" || shape.length !== 2 || shape[1] !== dIn) {
            throw new DataError(
              path,
              {},
              `tensor "${TENSOR}" is ${dtype} of shape [${shape}]`,
              `F32 of shape [rows, ${dIn}]`,
            );
          }
          const rows = await file.readFloat32(TENSOR);
          read += shape[0];
          controller.enqueue({ rows, count: shape[0], dIn });
        },
      }, { highWaterMark: 0 }); // read a file only when asked: one file in memory at a time
    },
  };
}

/** The manifest of `dir`, checked field by field; undefined when there is none. */
async function readManifest(dir: string): Promise<ActivationCacheManifest | undefined> {
  const path = `${dir}/${MANIFEST}`;
  const expected = "an activation cache manifest {key, dIn, hook, modelId, files, rows, complete}";
  const manifest = await readJsonFile<ActivationCacheManifest>(path, expected);
  if (!manifest) return undefined;
  const valid = typeof manifest.key === "string" && Number.isSafeInteger(manifest.dIn) && manifest.dIn > 0 &&
    Array.isArray(manifest.files) && manifest.files.every((f) => typeof f === "string" && ROW_FILE.test(f)) &&
    Number.isSafeInteger(manifest.rows) && manifest.rows >= 0;
  if (!valid) throw new DataError(path, {}, "missing or malformed fields", expected);
  return manifest;
}
