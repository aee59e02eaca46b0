/**
 * The header of a NumPy `.npy` array (format versions 1.0, 2.0 and 3.0): its dtype, shape and where its data
 * starts, so that the data can be used in place. Only little-endian floats in C order are accepted: what a model's
 * weights are, and what can be handed on without conversion.
 * @module
 */
import { DataError } from "@saeflow/core";

/** The float dtypes an `.npy` may have here: `<f2`, `<f4`, `<f8`. */
export type NpyDtype = "F16" | "F32" | "F64";

/** What an `.npy` header says. */
export interface NpyHeader {
  /** Format version, `1.0`, `2.0` or `3.0`. */
  version: string;
  /** The dtype as NumPy spells it (`<f4`). */
  descr: string;
  dtype: NpyDtype;
  shape: number[];
  /** Bytes from the start of the `.npy` to its first data byte (magic, version, header length, header). */
  dataOffset: number;
  /** Bytes of array data: the product of the shape times the item size. */
  byteLength: number;
}

/** Enough leading bytes of an `.npy` to know its header's length, for every version. */
export const NPY_PREAMBLE_BYTES = 12;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DTYPES: Record<string, { dtype: NpyDtype; bytes: number }> = {
  "<f2": { dtype: "F16", bytes: 2 },
  "<f4": { dtype: "F32", bytes: 4 },
  "<f8": { dtype: "F64", bytes: 8 },
};
const FORMAT = "a NumPy .npy array (np.save): magic \\x93NUMPY, version 1.0, 2.0 or 3.0, then a header dict";

/**
 * The number of bytes before the array data (`dataOffset`), from the first {@link NPY_PREAMBLE_BYTES} bytes.
 * `what` names the array in errors (`params.npz member W_enc.npy`).
 *
 * @example
 * ```ts
 * const prefix = (await Deno.readFile("W_enc.npy")).subarray(0, NPY_PREAMBLE_BYTES);
 * npyHeaderLength(prefix, "W_enc.npy", "W_enc.npy"); // 128
 * ```
 */
export function npyHeaderLength(prefix: Uint8Array, source: string, what: string): number {
  const version = npyVersion(prefix, source, what);
  const data = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (version === "1.0") return 10 + data.getUint16(8, true);
  if (prefix.length < 12) {
    throw new DataError(source, {}, `${what} ends inside its header length (${prefix.length} bytes)`, FORMAT);
  }
  return 12 + data.getUint32(8, true);
}

/**
 * Parses an `.npy` header from `bytes`, which hold at least {@link npyHeaderLength} bytes from the array's start.
 * Refuses Fortran order, big-endian and non-float dtypes with a DataError naming `source` and `what`.
 *
 * @example
 * ```ts
 * const header = parseNpyHeader(await Deno.readFile("b_enc.npy"), "b_enc.npy", "b_enc.npy");
 * header; // { version: "1.0", descr: "<f4", dtype: "F32", shape: [16384], dataOffset: 128, byteLength: 65536 }
 * ```
 */
export function parseNpyHeader(bytes: Uint8Array, source: string, what: string): NpyHeader {
  const version = npyVersion(bytes, source, what);
  const dataOffset = npyHeaderLength(bytes, source, what);
  if (bytes.length < dataOffset) {
    throw new DataError(
      source,
      {},
      `${what} ends inside its header: ${bytes.length} of ${dataOffset} header bytes present`,
      FORMAT,
    );
  }
  const start = version === "1.0" ? 10 : 12;
  const decoder = new TextDecoder(version === "3.0" ? "utf-8" : "latin1");
  const text = decoder.decode(bytes.subarray(start, dataOffset)).trim();
  const bad = (problem: string, expected = FORMAT) => new DataError(source, {}, `${what} ${problem}`, expected);
  if (!text.startsWith("{") || !text.endsWith("}")) throw bad(`header ${JSON.stringify(text)} is not a dict`);

  const descrMatch = text.match(/['"]descr['"]\s*:\s*(['"])(.*?)\1/);
  if (!descrMatch) {
    throw bad(
      /['"]descr['"]/.test(text) ? "has a structured dtype" : "header has no 'descr'",
      "a plain float array",
    );
  }
  const descr = descrMatch[2];
  if (descr.startsWith(">")) {
    throw bad(
      `has big-endian dtype '${descr}'`,
      `little-endian '<${descr.slice(1)}' (arr.astype('<${descr.slice(1)}'))`,
    );
  }
  const dtype = DTYPES[descr];
  if (!dtype) throw bad(`has dtype '${descr}'`, "a little-endian float dtype: '<f4' (or '<f2', '<f8')");

  const fortran = text.match(/['"]fortran_order['"]\s*:\s*(True|False)/);
  if (!fortran) throw bad("header has no 'fortran_order'");
  if (fortran[1] === "True") {
    throw bad("is stored in Fortran (column-major) order", "C order (np.ascontiguousarray(arr) before saving)");
  }

  const shapeMatch = text.match(/['"]shape['"]\s*:\s*\(([^)]*)\)/);
  if (!shapeMatch) throw bad("header has no 'shape' tuple");
  const parts = shapeMatch[1].split(",").map((part) => part.trim()).filter((part) => part !== "");
  const shape = parts.map((part) => {
    const match = part.match(/^(\d+)L?$/);
    if (!match) throw bad(`shape (${shapeMatch[1]}) is not a tuple of non-negative integers`);
    return Number(match[1]);
  });
  const elements = shape.reduce((product, dim) => product * dim, 1);
  return { version, descr, dtype: dtype.dtype, shape, dataOffset, byteLength: elements * dtype.bytes };
}

function npyVersion(bytes: Uint8Array, source: string, what: string): string {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new DataError(source, {}, `${what} does not start with the .npy magic \\x93NUMPY`, FORMAT);
  }
  const version = `${bytes[6]}.${bytes[7]}`;
  if (version !== "1.0" && version !== "2.0" && version !== "3.0") {
    throw new DataError(source, {}, `${what} has .npy format version ${version}`, "version 1.0, 2.0 or 3.0");
  }
  return version;
}
