/**
 * Raw little-endian tensor elements of any dtype to float32. Floats widen exactly (F16, BF16) or round to nearest
 * (F64); integers round to the nearest float32 (exact up to 2^24 in magnitude; 64-bit ones via float64), BOOL is 0
 * or 1.
 * Typed-array views read the bytes in host order: every platform Deno runs on is little-endian, as safetensors is.
 * @module
 */
import type { SafetensorsDtype } from "./dtype.ts";
import { decodeBfloat16Into, decodeFloat16Into } from "./float16.ts";

/** Decodes `out.length` elements from `bytes`, which must start at an offset aligned to the element size. */
export type Float32Decoder = (bytes: Uint8Array, out: Float32Array) => void;

const DECODERS: Partial<Record<SafetensorsDtype, Float32Decoder>> = {
  F32: (bytes, out) => out.set(new Float32Array(bytes.buffer, bytes.byteOffset, out.length)),
  F64: (bytes, out) => out.set(new Float64Array(bytes.buffer, bytes.byteOffset, out.length)),
  F16: (bytes, out) => decodeFloat16Into(new Uint16Array(bytes.buffer, bytes.byteOffset, out.length), out),
  BF16: (bytes, out) => decodeBfloat16Into(new Uint16Array(bytes.buffer, bytes.byteOffset, out.length), out),
  I64: (bytes, out) => {
    const values = new BigInt64Array(bytes.buffer, bytes.byteOffset, out.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(values[i]);
  },
  U64: (bytes, out) => {
    const values = new BigUint64Array(bytes.buffer, bytes.byteOffset, out.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(values[i]);
  },
  I32: (bytes, out) => out.set(new Int32Array(bytes.buffer, bytes.byteOffset, out.length)),
  U32: (bytes, out) => out.set(new Uint32Array(bytes.buffer, bytes.byteOffset, out.length)),
  I16: (bytes, out) => out.set(new Int16Array(bytes.buffer, bytes.byteOffset, out.length)),
  U16: (bytes, out) => out.set(new Uint16Array(bytes.buffer, bytes.byteOffset, out.length)),
  I8: (bytes, out) => out.set(new Int8Array(bytes.buffer, bytes.byteOffset, out.length)),
  U8: (bytes, out) => out.set(bytes.subarray(0, out.length)),
  BOOL: (bytes, out) => {
    for (let i = 0; i < out.length; i++) out[i] = bytes[i] === 0 ? 0 : 1;
  },
};

/**
 * The decoder for `dtype`, or undefined for the 8-bit floats (F8_E4M3, F8_E5M2), whose variants (finite-only,
 * scaled) a header does not tell apart.
 *
 * @example
 * ```ts
 * const out = new Float32Array(2);
 * float32Decoder("BF16")!(new Uint8Array([0x80, 0x3f, 0x00, 0xc0]), out); // out is [1, -2]
 * ```
 */
export function float32Decoder(dtype: SafetensorsDtype): Float32Decoder | undefined {
  return DECODERS[dtype];
}
