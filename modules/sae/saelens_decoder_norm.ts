/**
 * Whether a decoder's rows have unit norm, read in bounded chunks. A SAELens TopK SAE with
 * `rescale_acts_by_decoder_norm` multiplies its pre-activations by W_dec's row norms before taking the top k
 * (`TopKSAE.encode`); `TopKTrainingSAE.process_state_dict_for_saving_inference` folds those norms into W_enc and
 * b_enc on save, leaving unit rows, and then the multiplication changes nothing. An `SaeSpec` has no place for
 * the norms, so such an SAE loads only when its rows are (numerically) unit.
 * @module
 */
import { DataError } from "@saeflow/core";
import {
  bfloat16ToFloat32Array,
  FileRange,
  float16ToFloat32Array,
  type SafetensorsFile,
  type TensorEntry,
} from "@saeflow/io";

/** How far from 1 a row norm may be: float32 folding leaves ~1e-7, 16-bit storage ~1e-4 after averaging. */
export const UNIT_NORM_TOLERANCE = 1e-3;

const CHUNK_BYTES = 8 * 2 ** 20;

/** Options for {@link firstNonUnitRow}. */
export interface UnitRowOptions {
  /** Default {@link UNIT_NORM_TOLERANCE}. */
  tolerance?: number;
  /** Bytes read at a time (whole rows, at least one), default 8 MiB. */
  chunkBytes?: number;
}

/**
 * The first row of the 2-D tensor `entry` whose Euclidean norm is off 1 by more than the tolerance, or undefined
 * when every row is unit. Peak memory is one chunk and its float32 copy.
 *
 * @example
 * ```ts
 * await firstNonUnitRow(file, file.entry("W_dec")); // undefined, or { row: 17, norm: 0.43 }
 * ```
 */
export async function firstNonUnitRow(
  file: SafetensorsFile,
  entry: TensorEntry,
  { tolerance = UNIT_NORM_TOLERANCE, chunkBytes = CHUNK_BYTES }: UnitRowOptions = {},
): Promise<{ row: number; norm: number } | undefined> {
  const [rows, columns] = entry.shape;
  if (entry.shape.length !== 2) {
    throw new DataError(
      file.path,
      {},
      `tensor ${JSON.stringify(entry.name)} has ${entry.shape.length} dimensions`,
      "2",
    );
  }
  const check = (values: Float32Array, firstRow: number) => {
    for (let r = 0; r * columns < values.length; r++) {
      let sum = 0;
      for (let c = r * columns; c < (r + 1) * columns; c++) sum += values[c] * values[c];
      const norm = Math.sqrt(sum);
      if (!(Math.abs(norm - 1) <= tolerance)) return { row: firstRow + r, norm };
    }
    return undefined;
  };
  const decode = DECODERS[entry.dtype];
  if (!decode) return check(await file.readFloat32(entry.name), 0);
  const rowBytes = (entry.end - entry.begin) / Math.max(rows, 1);
  const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / Math.max(rowBytes, 1)));
  const range = new FileRange(file.path, entry.begin, entry.end);
  for (let first = 0; first < rows; first += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - first);
    const bytes = await range.slice(first * rowBytes, (first + count) * rowBytes).arrayBuffer();
    const found = check(decode(bytes), first);
    if (found) return found;
  }
  return undefined;
}

const DECODERS: Partial<Record<string, (bytes: ArrayBuffer) => Float32Array>> = {
  F32: (bytes) => new Float32Array(bytes),
  F16: (bytes) => float16ToFloat32Array(new Uint16Array(bytes)),
  BF16: (bytes) => bfloat16ToFloat32Array(new Uint16Array(bytes)),
};
