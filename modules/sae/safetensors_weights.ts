/**
 * SAE weights in a safetensors file: each tensor looked up by name and its shape checked against the config, big
 * matrices referred to in place (file, offset, length) so that they never pass through JS memory, small vectors read.
 * @module
 */
import { DataError } from "@saeflow/core";
import type { StoredTensor } from "@saeflow/forward";
import type { SafetensorsFile, TensorEntry } from "@saeflow/io";
import type { SaeTensor } from "./sae_spec.ts";

const IN_PLACE_DTYPES: ReadonlySet<string> = new Set<StoredTensor["dtype"]>(["F32", "F16", "BF16"]);

/**
 * The entry of tensor `name`; a DataError naming the file and the key when there is none.
 *
 * @example
 * ```ts
 * const entry = requireTensor(file, "W_enc", "the tensors of a SAELens SAE: W_enc, W_dec, b_enc, b_dec");
 * ```
 */
export function requireTensor(file: SafetensorsFile, name: string, expected: string): TensorEntry {
  const entry = file.tensors.get(name);
  if (!entry) throw new DataError(file.path, {}, `no tensor ${JSON.stringify(name)}`, expected);
  return entry;
}

/**
 * Checks that `entry` has `shape`; `basis` says where that shape comes from (`d_in 4 and d_sae 8 from cfg.json`),
 * so that a mismatch names both the tensor's file and the config.
 *
 * @example
 * ```ts
 * checkShape(file, file.entry("b_dec"), [2304], "d_in 2304 from layer_6/cfg.json");
 * ```
 */
export function checkShape(file: SafetensorsFile, entry: TensorEntry, shape: readonly number[], basis: string): void {
  if (entry.shape.length === shape.length && entry.shape.every((d, i) => d === shape[i])) return;
  throw new DataError(
    file.path,
    {},
    `tensor ${JSON.stringify(entry.name)} has shape [${entry.shape.join(", ")}], which does not fit ${basis}`,
    `[${shape.join(", ")}]`,
  );
}

/**
 * The two dimensions of a matrix; a DataError naming the file and the tensor when it is not 2-D or is empty. `layout` names
 * the dimensions for the message (`[d_in, d_sae]`).
 *
 * @example
 * ```ts
 * const [dIn, dSae] = matrixShape(file, file.entry("W_enc"), "[d_in, d_sae]");
 * ```
 */
export function matrixShape(file: SafetensorsFile, entry: TensorEntry, layout: string): [number, number] {
  if (entry.shape.length !== 2 || entry.shape.includes(0)) {
    throw new DataError(
      file.path,
      {},
      `tensor ${JSON.stringify(entry.name)} has shape [${entry.shape.join(", ")}]`,
      `a non-empty ${layout} matrix`,
    );
  }
  return [entry.shape[0], entry.shape[1]];
}

/**
 * A big matrix: referred to in place when its dtype is one an encoder reads from disk (F32, F16, BF16), read as
 * float32 otherwise (F64 rounds to nearest, as a float32 SAE would hold it).
 *
 * @example
 * ```ts
 * await matrixInPlace(file, file.entry("W_enc")); // { shape: [2304, 16384], stored: { file, offset, length, dtype: "F32" } }
 * ```
 */
export async function matrixInPlace(file: SafetensorsFile, entry: TensorEntry): Promise<SaeTensor> {
  if (IN_PLACE_DTYPES.has(entry.dtype)) {
    const stored: StoredTensor = {
      file: file.path,
      offset: entry.begin,
      length: entry.end - entry.begin,
      dtype: entry.dtype as StoredTensor["dtype"],
    };
    return { shape: [...entry.shape], stored };
  }
  return await vectorInMemory(file, entry);
}

/**
 * A small tensor (a bias, thresholds) read as float32: F32 bit for bit, F16 and BF16 widened exactly.
 *
 * @example
 * ```ts
 * await vectorInMemory(file, file.entry("b_enc")); // { shape: [16384], data: Float32Array(16384) }
 * ```
 */
export async function vectorInMemory(file: SafetensorsFile, entry: TensorEntry): Promise<SaeTensor> {
  return { shape: [...entry.shape], data: await file.readFloat32(entry.name) };
}
