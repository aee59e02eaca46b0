/**
 * float16 and bfloat16 conversions against Python's struct module ("e" is IEEE half with round-half-even) and, for
 * bfloat16 rounding, against a brute-force nearest neighbour in exact rational arithmetic.
 */
import assert from "node:assert/strict";
import {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from "@saeflow/io";
import { python } from "../../helpers.ts";
import { bitsOf } from "./python_safetensors.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsToFloat = (bits: number) => ((u32[0] = bits), f32[0]);
const floatToBits = (value: number) => ((f32[0] = value), u32[0]);
const hex = (n: number) => `0x${n.toString(16).padStart(4, "0")}`;

/** float32 bit patterns at the edges of the half range: zeros, subnormals, ties, the largest finite, overflow. */
const EDGES = [
  0,
  -0,
  1,
  -1,
  65504,
  65519,
  65519.99609375,
  65520,
  -65520,
  2 ** -24,
  2 ** -25,
  2 ** -25 * (1 + 2 ** -23),
  3 * 2 ** -26,
  2 ** -14,
  2 ** -14 - 2 ** -24,
  2 ** -14 - 2 ** -25,
  1 + 2 ** -11,
  1 + 3 * 2 ** -11,
  1 + 2 ** -11 + 2 ** -20,
  2049,
  2051,
  0.1,
  -3.14159,
  1e-8,
  3.4028234663852886e38,
  2 ** -149,
  Infinity,
  -Infinity,
].map(floatToBits);

Deno.test("every float16 bit pattern widens to the float32 Python's struct gives", async () => {
  const expected = await python<(number | null)[]>(String.raw`
import json, math, struct
out = []
for h in range(65536):
    x = struct.unpack("<e", struct.pack("<H", h))[0]
    out.append(None if math.isnan(x) else struct.unpack("<I", struct.pack("<f", x))[0])
print(json.dumps(out))`);
  const all = float16ToFloat32Array(Uint16Array.from({ length: 65536 }, (_, i) => i));
  const bits = bitsOf(all);
  for (let h = 0; h < 65536; h++) {
    if (expected[h] === null) {
      assert.ok(Number.isNaN(all[h]), `${hex(h)} is NaN`);
      assert.equal(bits[h] >>> 31, h >>> 15, `sign of NaN ${hex(h)}`);
      assert.equal(bits[h] & 0x1fff, 0, `NaN payload of ${hex(h)} shifted, not invented`);
      assert.equal((bits[h] >>> 13) & 0x3ff, h & 0x3ff, `NaN payload of ${hex(h)} kept`);
    } else {
      assert.equal(bits[h], expected[h], `float16 ${hex(h)}`);
      assert.equal(floatToBits(float16BitsToFloat32(h)), expected[h], `scalar float16 ${hex(h)}`);
    }
  }
});

Deno.test("float32 narrows to float16 as Python's struct rounds (ties to even, overflow to infinity)", async () => {
  const { inputs, halves } = await python<{ inputs: number[]; halves: (number | null)[] }>(
    String.raw`
import json, random, struct, sys
rng = random.Random(7)
inputs = json.loads(sys.argv[1])
for _ in range(20000):  # random signs and mantissas, exponents around the half range
    inputs.append((rng.getrandbits(1) << 31) | (rng.randint(95, 145) << 23) | rng.getrandbits(23))
halves = []
for bits in inputs:
    x = struct.unpack("<f", struct.pack("<I", bits))[0]
    try:
        halves.append(struct.unpack("<H", struct.pack("<e", x))[0])
    except OverflowError:  # struct refuses; IEEE rounding gives infinity
        halves.append(None)
print(json.dumps({"inputs": inputs, "halves": halves}))`,
    JSON.stringify(EDGES),
  );
  const values = new Float32Array(new Uint32Array(inputs).buffer);
  const narrowed = float32ToFloat16Array(values);
  for (let i = 0; i < inputs.length; i++) {
    const expected = halves[i] ?? ((inputs[i] >>> 16) & 0x8000) | 0x7c00;
    assert.equal(hex(narrowed[i]), hex(expected), `float32 ${inputs[i].toString(16)} (${values[i]})`);
    assert.equal(float32ToFloat16Bits(values[i]), narrowed[i]);
  }
  assert.ok(halves.includes(null), "some inputs overflow");
});

Deno.test("NaN stays NaN through float16 and bfloat16, sign kept", () => {
  for (const nan of [0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff]) {
    const half = float32ToFloat16Bits(bitsToFloat(nan));
    assert.equal(half & 0x7c00, 0x7c00);
    assert.notEqual(half & 0x3ff, 0, `${nan.toString(16)} → ${hex(half)} is not infinity`);
    const brain = float32ToBfloat16Array(new Float32Array(Uint32Array.of(nan).buffer))[0];
    assert.ok(Number.isNaN(bfloat16BitsToFloat32(brain)), `${nan.toString(16)} → ${hex(brain)}`);
    assert.equal(brain >>> 15, nan >>> 31);
  }
  assert.equal(float32ToFloat16Bits(NaN), 0x7e00); // struct.pack("<e", nan)
});

Deno.test("float32 narrows to the nearest bfloat16, ties to even (brute force in exact arithmetic)", async () => {
  const { inputs, nearest } = await python<{ inputs: number[]; nearest: number[] }>(
    String.raw`
import json, random, struct, sys
from fractions import Fraction
rng = random.Random(11)
inputs = json.loads(sys.argv[1]) + [0x3f808000, 0x3f818000, 0x7f7fffff, 0x7f7f8000, 0x7f7f7fff, 0x00008000, 0x00018000]
inputs += [rng.getrandbits(32) for _ in range(5000)]
inputs = [b for b in inputs if (b & 0x7fffffff) <= 0x7f800000]  # NaNs: a separate test
def value(b16):
    return struct.unpack("<f", struct.pack("<I", b16 << 16))[0]
nearest = []
for bits in inputs:
    x = struct.unpack("<f", struct.pack("<I", bits))[0]
    low = bits >> 16
    if (bits & 0xffff) == 0 or x in (float("inf"), float("-inf")):
        nearest.append(low)
        continue
    high = low + 1  # the next bfloat16 away from zero (may be infinity: overflow rounds there)
    dlow, dhigh = abs(Fraction(x) - Fraction(value(low))), None
    vhigh = value(high)
    if vhigh in (float("inf"), float("-inf")):  # IEEE: overflow when x is at least halfway to 2^128
        bound = Fraction(2) ** 128 - Fraction(2) ** (127 - 8)
        nearest.append(high if abs(Fraction(x)) >= bound else low)
        continue
    dhigh = abs(Fraction(vhigh) - Fraction(x))
    nearest.append(low if dlow < dhigh else high if dhigh < dlow else (low if low % 2 == 0 else high))
print(json.dumps({"inputs": inputs, "nearest": nearest}))`,
    JSON.stringify(EDGES),
  );
  const values = new Float32Array(new Uint32Array(inputs).buffer);
  const narrowed = float32ToBfloat16Array(values);
  for (let i = 0; i < inputs.length; i++) {
    assert.equal(hex(narrowed[i]), hex(nearest[i]), `float32 ${inputs[i].toString(16)} (${values[i]})`);
    assert.equal(float32ToBfloat16Bits(values[i]), narrowed[i]);
  }
});

Deno.test("bfloat16 widens to the float32 with those upper bits", () => {
  const all = bfloat16ToFloat32Array(Uint16Array.from({ length: 65536 }, (_, i) => i));
  const bits = bitsOf(all);
  for (let b = 0; b < 65536; b++) {
    assert.equal(bits[b], (b << 16) >>> 0);
    if (!Number.isNaN(all[b])) assert.equal(bfloat16BitsToFloat32(b), all[b]);
  }
  assert.equal(bfloat16BitsToFloat32(0x3f80), 1);
  assert.ok(Object.is(bfloat16BitsToFloat32(0x8000), -0));
});
