/**
 * The element types a safetensors header may name, and how many bytes one element takes.
 * @module
 */

/**
 * A safetensors `dtype`. Every one can be read as raw bytes; all but the 8-bit floats can be read as float32.
 *
 * @example
 * ```ts
 * const dtype: SafetensorsDtype = "BF16";
 * DTYPE_BYTES[dtype]; // 2
 * ```
 */
export type SafetensorsDtype =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL"
  | "F8_E4M3"
  | "F8_E5M2";

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** The dtypes, for messages ("expected one of ..."). */
export const SAFETENSORS_DTYPES: readonly SafetensorsDtype[] = Object.keys(DTYPE_BYTES) as SafetensorsDtype[];

/** True when `value` is a dtype name this reader knows. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(DTYPE_BYTES, value);
}
