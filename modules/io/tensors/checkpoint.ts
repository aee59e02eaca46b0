/**
 * A Hugging Face checkpoint directory as one set of named tensors: a single `model.safetensors`, or shards listed
 * by `model.safetensors.index.json` (`weight_map`: tensor name → shard file). Shard headers are read and checked
 * when the checkpoint opens; tensor data when asked for.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import type { TensorEntry } from "./safetensors_header.ts";
import { SafetensorsFile } from "./safetensors_file.ts";
import { readJsonFile, statIfExists } from "../json_file.ts";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** Named tensors, wherever they are stored. Structurally a `WeightSource` of `@saeflow/forward`. */
export interface TensorSource extends Disposable {
  /** The directory (or file) the tensors come from, for messages. */
  readonly source: string;
  names(): string[];
  /** The tensor's shape, or undefined when there is no such tensor. */
  shape(name: string): number[] | undefined;
  /** Where the tensor lies: `file` and the absolute byte range `[begin, end)` in it. DataError when missing. */
  entry(name: string): TensorEntry & { file: string };
  read(name: string): Promise<Uint8Array<ArrayBuffer>>;
  readFloat32(name: string): Promise<Float32Array<ArrayBuffer>>;
  close(): void;
}

/**
 * Opens the checkpoint in `dir` (or one `.safetensors` file given directly).
 *
 * @example
 * ```ts
 * using weights = await openSafetensorsCheckpoint("models/TinyStories-33M");
 * weights.shape("transformer.wte.weight"); // [50257, 768]
 * const embedding = await weights.readFloat32("transformer.wte.weight");
 * ```
 */
export async function openSafetensorsCheckpoint(dir: string): Promise<TensorSource> {
  const stat = await statIfExists(dir);
  if (!stat) {
    throw new ConfigError(`${dir}: checkpoint not found; expected a directory with ${SINGLE_FILE} or ${INDEX_FILE}`);
  }
  if (stat.isFile) {
    const file = await SafetensorsFile.open(dir);
    return new Checkpoint(dir, new Map([...file.tensors.keys()].map((name) => [name, file])), [file]);
  }
  const index = await readCheckpointIndex(`${dir}/${INDEX_FILE}`);
  if (index) {
    const files = new Map<string, SafetensorsFile>();
    try {
      for (const shard of new Set(Object.values(index))) {
        files.set(shard, await openShard(`${dir}/${shard}`, `${dir}/${INDEX_FILE}`));
      }
      for (const [name, shard] of Object.entries(index)) {
        if (!files.get(shard)!.tensors.has(name)) {
          throw new DataError(
            `${dir}/${INDEX_FILE}`,
            {},
            `weight_map puts tensor ${JSON.stringify(name)} in ${shard}, which has no such tensor`,
            "an index that matches its shards",
          );
        }
      }
    } catch (error) {
      for (const file of files.values()) file.close();
      throw error;
    }
    const owners = new Map(Object.entries(index).map(([name, shard]) => [name, files.get(shard)!]));
    return new Checkpoint(dir, owners, [...files.values()]);
  }
  try {
    const file = await SafetensorsFile.open(`${dir}/${SINGLE_FILE}`);
    return new Checkpoint(dir, new Map([...file.tensors.keys()].map((name) => [name, file])), [file]);
  } catch (error) {
    if (!(error instanceof DataError && error.problem === "file not found")) throw error;
    const present = [];
    for await (const { name } of Deno.readDir(dir)) if (name.endsWith(".safetensors")) present.push(name);
    throw new ConfigError(
      `${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${
        present.length ? ` (it has ${present.sort().join(", ")}; pass one of them as the path)` : ""
      }; expected a Hugging Face checkpoint directory`,
    );
  }
}

class Checkpoint implements TensorSource {
  constructor(
    readonly source: string,
    readonly owners: ReadonlyMap<string, SafetensorsFile>,
    readonly files: readonly SafetensorsFile[],
  ) {}

  names(): string[] {
    return [...this.owners.keys()];
  }

  shape(name: string): number[] | undefined {
    return this.owners.get(name)?.tensors.get(name)?.shape;
  }

  entry(name: string): TensorEntry & { file: string } {
    const file = this.#owner(name);
    return { ...file.entry(name), file: file.path };
  }

  async read(name: string): Promise<Uint8Array<ArrayBuffer>> {
    return await this.#owner(name).read(name);
  }

  async readFloat32(name: string): Promise<Float32Array<ArrayBuffer>> {
    return await this.#owner(name).readFloat32(name);
  }

  close(): void {
    for (const file of this.files) file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #owner(name: string): SafetensorsFile {
    const file = this.owners.get(name);
    if (!file) {
      throw new DataError(
        this.source,
        {},
        `checkpoint has no tensor ${JSON.stringify(name)}`,
        `one of its ${this.owners.size} tensors`,
      );
    }
    return file;
  }
}

/** A sharded checkpoint index's `weight_map` (tensor -> shard file), or undefined when there is no index file. */
export async function readCheckpointIndex(path: string): Promise<Record<string, string> | undefined> {
  const index = await readJsonFile<unknown>(path, 'an object with a "weight_map"');
  if (index === undefined) return undefined;
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (
    typeof map !== "object" || map === null || Array.isArray(map) ||
    !Object.values(map).every((shard) => typeof shard === "string" && shard !== "")
  ) {
    throw new DataError(
      path,
      {},
      '"weight_map" is missing or not an object of file names',
      '{"weight_map": {tensor: file}}',
    );
  }
  return map as Record<string, string>;
}

async function openShard(path: string, index: string): Promise<SafetensorsFile> {
  try {
    return await SafetensorsFile.open(path);
  } catch (error) {
    if (error instanceof DataError && error.problem === "file not found") {
      throw new DataError(path, {}, `shard listed in ${index} not found`, "every shard the index names", {
        cause: error,
      });
    }
    throw error;
  }
}
