/**
 * Weights used in place as ONNX external data (a safetensors shard, an `.npy` inside an `.npz`): the initializer
 * that refers to them, and the folder ONNX Runtime reads them from. ONNX Runtime takes one folder and file names
 * relative to it, and refuses paths that resolve outside it (symbolic links included), so files from several folders
 * (a model's checkpoint and an SAE's `params.npz`, say) are hard-linked into one temporary folder for the time it
 * takes to start the session.
 * @module
 */
import { basename, dirname } from "node:path";
import { ConfigError } from "@saeflow/core";
import type { StoredTensor } from "../decoder/weight_source.ts";
import { type GraphBuilder, type ModelOptions, OnnxType, type OnnxTypeCode } from "./onnx_builder.ts";

const STORED_TYPE = { F32: OnnxType.float, F16: OnnxType.float16, BF16: OnnxType.bfloat16 } as const;

/**
 * An initializer over `stored`'s bytes on disk, cast to `wanted` in the graph when the file holds another type
 * (ONNX Runtime folds the cast once, at session start).
 */
export function storedInitializer(
  g: GraphBuilder,
  name: string,
  stored: StoredTensor,
  shape: readonly number[],
  wanted: OnnxTypeCode = OnnxType.float,
): string {
  const type = STORED_TYPE[stored.dtype];
  const { file, offset, length } = stored;
  const value = g.externalInitializer(name, type, shape, { file, offset, length });
  return type === wanted ? value : g.node("Cast", [value], { to: { i: wanted } });
}

/** A serialized graph and where ONNX Runtime finds its external data. */
export interface SerializedGraph {
  bytes: Uint8Array;
  /** The folder to give ONNX Runtime (`SessionOptions.externalDataFolder`), when the graph refers to files. */
  externalDataFolder?: string;
  /** Removes the temporary folder of links, if one was made; call once the session has started. */
  release(): Promise<void>;
}

/**
 * Serializes `g`. External files in one folder are named by their base names; files in several folders are linked
 * into a temporary folder first (`release()` removes it).
 */
export async function serializeGraph(g: GraphBuilder, options: ModelOptions = {}): Promise<SerializedGraph> {
  const files = g.externalFiles();
  const folders = new Set(files.map(dirname));
  if (folders.size <= 1) {
    return { bytes: g.toModelBytes(options), externalDataFolder: [...folders][0], release: () => Promise.resolve() };
  }
  const names = new Map(files.map((file, i) => [file, `${i}_${basename(file)}`]));
  const failures: string[] = [];
  // Hard links only work within one filesystem: try next to each weights folder (the cache), then the OS temp dir.
  for (const parent of [...folders, undefined]) {
    let folder: string;
    try {
      folder = await Deno.makeTempDir({ prefix: ".saeflow-external-", ...(parent ? { dir: parent } : {}) });
    } catch (error) {
      failures.push(`${parent ?? "the temp dir"}: ${(error as Error).message}`);
      continue;
    }
    try {
      for (const [file, name] of names) await Deno.link(file, `${folder}/${name}`);
      return {
        bytes: g.toModelBytes({ ...options, externalLocation: (file) => names.get(file)! }),
        externalDataFolder: folder,
        release: () => Deno.remove(folder, { recursive: true }),
      };
    } catch (error) {
      await Deno.remove(folder, { recursive: true });
      failures.push(`${folder}: ${(error as Error).message}`);
    }
  }
  throw new ConfigError(
    `the graph's weights are in ${folders.size} folders (${[...folders].join(", ")}) and could not be hard-linked ` +
      `into one (${failures.join("; ")}); ONNX Runtime reads external data from a single folder: put the files in one`,
  );
}
