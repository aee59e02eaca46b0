/**
 * IEEE half precision (float16) and bfloat16 to and from float32, bit-exact: subnormals, ±0, ±infinity and NaN
 * included. Narrowing rounds to nearest, ties to even, as PyTorch, NumPy and the hardware do; values past the
 * largest finite half (65504) round to infinity from 65520 on.
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 bit pattern of `value` (rounded to float32 first). */
function float32Bits(value: number): number {
  f32[0] = value;
  return u32[0];
}

/** float32 bits of each of the 65536 halves, built on first use: a table lookup beats bit twiddling per element. */
let halfTable: Uint32Array | undefined;

function halfToFloat32Bits(bits: number): number {
  const sign = (bits & 0x8000) << 16;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0; // ±inf, NaN keeps its payload
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  // Subnormal or zero: mantissa × 2^-24 is exact in float32 (a normal number there).
  f32[0] = mantissa * 2 ** -24;
  return (u32[0] | sign) >>> 0;
}

function halfTableBits(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = halfToFloat32Bits(bits);
  }
  return halfTable;
}

/**
 * The value of a float16 bit pattern.
 *
 * @example
 * ```ts
 * float16BitsToFloat32(0x3c00); // 1
 * float16BitsToFloat32(0x0001); // 5.960464477539063e-8 (smallest subnormal)
 * ```
 */
export function float16BitsToFloat32(bits: number): number {
  u32[0] = halfTableBits()[bits & 0xffff];
  return f32[0];
}

/**
 * The float16 bit pattern nearest to `value` (first rounded to float32), ties to even.
 *
 * @example
 * ```ts
 * float32ToFloat16Bits(1); // 0x3c00
 * float32ToFloat16Bits(65520); // 0x7c00 (infinity)
 * ```
 */
export function float32ToFloat16Bits(value: number): number {
  return halfFromFloat32Bits(float32Bits(value));
}

function halfFromFloat32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13); // NaN stays quiet
  if (exponent > 142) return sign | 0x7c00; // ≥ 2^16: past the half range
  if (exponent >= 113) {
    // Normal half. A carry out of the mantissa moves into the exponent, up to infinity: what rounding should do.
    let half = ((exponent - 112) << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
    return sign | half;
  }
  if (exponent < 102) return sign; // below 2^-25, half of the smallest subnormal: rounds to ±0
  // Subnormal half: the value in units of 2^-24, from the significand with its implicit bit.
  const significand = mantissa | 0x800000;
  const shift = 126 - exponent;
  let half = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  return sign | half;
}

/**
 * The value of a bfloat16 bit pattern (the upper half of a float32).
 *
 * @example
 * ```ts
 * bfloat16BitsToFloat32(0x3f80); // 1
 * ```
 */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/**
 * The bfloat16 bit pattern nearest to `value` (first rounded to float32), ties to even.
 *
 * @example
 * ```ts
 * float32ToBfloat16Bits(1); // 0x3f80
 * float32ToBfloat16Bits(1 + 2 ** -8); // 0x3f80 (a tie, to even)
 * ```
 */
export function float32ToBfloat16Bits(value: number): number {
  return bfloat16FromFloat32Bits(float32Bits(value));
}

function bfloat16FromFloat32Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // NaN: keep it NaN even if the payload is low
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/**
 * float16 bit patterns to float32 values.
 *
 * @example
 * ```ts
 * float16ToFloat32Array(Uint16Array.of(0x3c00, 0xc000)); // Float32Array [1, -2]
 * ```
 */
export function float16ToFloat32Array(bits: Uint16Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(bits.length);
  decodeFloat16Into(bits, out);
  return out;
}

/** Like {@link float16ToFloat32Array}, into `out[0, bits.length)`. */
export function decodeFloat16Into(bits: Uint16Array, out: Float32Array): void {
  const table = halfTableBits();
  const outBits = new Uint32Array(out.buffer, out.byteOffset, bits.length);
  for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]];
}

/**
 * bfloat16 bit patterns to float32 values.
 *
 * @example
 * ```ts
 * bfloat16ToFloat32Array(Uint16Array.of(0x3f80)); // Float32Array [1]
 * ```
 */
export function bfloat16ToFloat32Array(bits: Uint16Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(bits.length);
  decodeBfloat16Into(bits, out);
  return out;
}

/** Like {@link bfloat16ToFloat32Array}, into `out[0, bits.length)`. */
export function decodeBfloat16Into(bits: Uint16Array, out: Float32Array): void {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, bits.length);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
}

/**
 * float32 values to float16 bit patterns (round to nearest, ties to even), e.g. to write an F16 tensor.
 *
 * @example
 * ```ts
 * float32ToFloat16Array(Float32Array.of(1, -2)); // Uint16Array [0x3c00, 0xc000]
 * ```
 */
export function float32ToFloat16Array(values: Float32Array): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfFromFloat32Bits(bits[i]);
  return out;
}

/**
 * float32 values to bfloat16 bit patterns (round to nearest, ties to even), e.g. to write a BF16 tensor.
 *
 * @example
 * ```ts
 * float32ToBfloat16Array(Float32Array.of(1)); // Uint16Array [0x3f80]
 * ```
 */
export function float32ToBfloat16Array(values: Float32Array): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = bfloat16FromFloat32Bits(bits[i]);
  return out;
}
