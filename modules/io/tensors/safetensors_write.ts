/**
 * Writing a safetensors file. The bytes depend only on the input: the header lists `__metadata__` first, then the
 * tensors by name; it is padded with spaces to a multiple of 8 bytes, and the data is laid out widest dtype first,
 * then by name, so that every tensor starts aligned to its element size (the reference writer's layout). The file
 * appears under its name only when complete (temp file, fsync, rename).
 * @module
 */
import { DataError } from "@saeflow/core";
import { DTYPE_BYTES, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from "./dtype.ts";
import { writeFileAtomic } from "../atomic_write.ts";

/** Typed arrays that imply their dtype. A Uint8Array is raw bytes of any dtype (U8 when none is given). */
export type TensorArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** One tensor to write. `dtype` defaults to the array's own; F16 and BF16 come as Uint16Array bits or raw bytes. */
export interface TensorToWrite {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: TensorArray;
}

const IMPLIED: ReadonlyArray<[abstract new (...args: never[]) => TensorArray, SafetensorsDtype, SafetensorsDtype[]]> = [
  [Float64Array, "F64", []],
  [Float32Array, "F32", []],
  [BigInt64Array, "I64", []],
  [BigUint64Array, "U64", []],
  [Int32Array, "I32", []],
  [Uint32Array, "U32", []],
  [Int16Array, "I16", []],
  [Uint16Array, "U16", ["F16", "BF16"]],
  [Int8Array, "I8", []],
  [Uint8Array, "U8", SAFETENSORS_DTYPES.slice()],
];

/**
 * Writes `tensors` (and string `metadata`) to `path` as safetensors.
 *
 * @example
 * ```ts
 * await writeSafetensors("sae.safetensors", {
 *   W_enc: { shape: [768, 16384], data: encoder }, // Float32Array: F32
 *   b_dec: { dtype: "BF16", shape: [768], data: float32ToBfloat16Array(bias) },
 * }, { format: "pt" });
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const fail = (problem: string, expected: string): never => {
    throw new DataError(path, {}, problem, expected);
  };
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === "__metadata__") fail(`${what}: the name is reserved for the metadata`, "another name");
    const [, implied, alsoAllowed] = IMPLIED.find(([type]) => tensor.data instanceof type) ??
      fail(`${what}: data is not a typed array`, "a Float32Array, another typed array, or raw bytes in a Uint8Array");
    const dtype = tensor.dtype ?? implied;
    if (!isSafetensorsDtype(dtype)) {
      fail(`${what}: unknown dtype ${JSON.stringify(dtype)}`, SAFETENSORS_DTYPES.join(", "));
    }
    if (dtype !== implied && !alsoAllowed.includes(dtype)) {
      fail(
        `${what}: a ${tensor.data.constructor.name} cannot hold ${dtype} data`,
        `a ${implied} dtype for it, or the raw bytes in a Uint8Array`,
      );
    }
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${what}: shape [${tensor.shape}] is not a list of sizes`, "non-negative integers");
    }
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    const needed = tensor.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (bytes.length !== needed) {
      fail(
        `${what}: ${bytes.length} bytes of data, but shape [${tensor.shape}] of ${dtype} needs ${needed}`,
        "data to match the shape",
      );
    }
    return { name, dtype, shape: [...tensor.shape], bytes, begin: 0 };
  });
  const byName = (a: { name: string }, b: { name: string }) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const layout = entries.slice().sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || byName(a, b));
  let offset = 0;
  for (const entry of layout) [entry.begin, offset] = [offset, offset + entry.bytes.length];

  // Built by hand: a JS object would put integer-like tensor names ("0") before everything else.
  const fields: string[] = [];
  const metadataKeys = Object.keys(metadata ?? {}).sort();
  if (metadataKeys.length > 0) {
    for (const key of metadataKeys) {
      if (typeof metadata![key] !== "string") fail(`metadata ${JSON.stringify(key)} is not a string`, "string values");
    }
    const pairs = metadataKeys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata![key])}`);
    fields.push(`"__metadata__":{${pairs.join(",")}}`);
  }
  for (const { name, dtype, shape, bytes, begin } of entries.sort(byName)) {
    fields.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [begin, begin + bytes.length] })}`,
    );
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + headerLength).fill(0x20);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerLength), true);
  prefix.set(json, 8);

  await writeFileAtomic(path, [prefix, ...layout.map(({ bytes }) => bytes)]);
}
