/**
 * Exact gate boundaries, with integer inputs and weights (exact in float32, so every pre-activation below is computed
 * without rounding): a JumpReLU pre-activation equal to its threshold is inactive and one float32 ulp above is active
 * (`pre > threshold`, thresholds kept in float32); ReLU and top-k drop exact zeros.
 *
 * Top-k order: SAELens takes the top k of `pre` and then applies ReLU; sparsify applies ReLU and then takes the top k.
 * Either way the active features of a row are the min(k, #positive) largest positive pre-activations, so the two
 * orders give the same features (and reconstruction) even when fewer than k pre-activations are positive or negatives
 * make the top k: only the raw `[rows, k]` outputs differ, in which zero-valued slots pad the row (the negatives'
 * ids for SAELens, zeros' ids for sparsify), and those are dropped from the CSR. Ties at the k-th place go to the lower
 * feature id (ONNX TopK's tie-break) in both orders.
 */
import assert from "node:assert/strict";
import { SaeEncoder } from "../../../modules/sae/sae_encoder.ts";
import type { SaeSpec } from "../../../modules/sae/sae_spec.ts";
import { naiveSae } from "../reference/naive_sae.ts";
import { assertCsr, assertMatchesReference, assertSqError, csrRow } from "./assert_features.ts";
import { randomSae } from "./random_sae.ts";

/** The next float32 above / below `v` (finite, v != 0 for down). */
function ulpStep(v: number, direction: 1 | -1): number {
  const f = Float32Array.of(v);
  const bits = new Int32Array(f.buffer);
  if (v === 0) return direction * 2 ** -149;
  bits[0] += (v > 0 ? 1 : -1) * direction;
  return f[0];
}

const T = Math.fround(0.1);
const BIG = 1_000_000.5; // exact in float32 (ulp 1/16 at 1e6)

/**
 * dIn 4, input row [1, 2, 3, 4]. Each feature: its W_enc column, b_enc, threshold, and whether it is active.
 * `x @ w` is an integer; `pre = x @ w + b_enc` lands exactly on, just above or just below the threshold.
 */
const FEATURES: { w: number[]; b: number; threshold: number; active: boolean; why: string }[] = [
  { w: [1, 1, -1, 0], b: T, threshold: T, active: false, why: "pre == threshold (0.1f)" },
  { w: [1, 1, -1, 0], b: ulpStep(T, 1), threshold: T, active: true, why: "pre one ulp above 0.1f" },
  { w: [1, 1, -1, 0], b: ulpStep(T, -1), threshold: T, active: false, why: "pre one ulp below 0.1f" },
  { w: [0, 0, 0, 1], b: 0, threshold: 4, active: false, why: "x @ w == threshold (4)" },
  { w: [0, 0, 0, 1], b: 0, threshold: ulpStep(4, -1), active: true, why: "x @ w one ulp above the threshold" },
  { w: [0, 0, 0, 250_000], b: 0.5, threshold: BIG, active: false, why: "pre == threshold (1e6 + 0.5)" },
  { w: [0, 0, 0, 250_000], b: 0.5625, threshold: BIG, active: true, why: "pre one ulp above 1e6 + 0.5" },
  { w: [-1, 0, 0, 0], b: 0, threshold: -2, active: false, why: "threshold < pre < 0: ReLU makes it 0" },
  { w: [1, 1, -1, 0], b: 0, threshold: -2, active: false, why: "pre == 0 above a negative threshold" },
  { w: [1, 1, -1, 0], b: 2 ** -100, threshold: 0, active: true, why: "tiny positive pre above threshold 0" },
  { w: [2, -1, 0, 0], b: 0, threshold: 0, active: false, why: "pre == threshold == 0" },
];

function boundarySpec(variant: { transposed: boolean; bDec: boolean }): { spec: SaeSpec; x: Float32Array } {
  const dIn = 4, dSae = FEATURES.length;
  const wEnc = new Float32Array(dIn * dSae);
  FEATURES.forEach(({ w }, j) => {
    for (let i = 0; i < dIn; i++) wEnc[variant.transposed ? j * dIn + i : i * dSae + j] = w[i];
  });
  // With b_dec subtraction and a x0.5 scale, feed 2 * (x + b_dec): normalized and centered it is x again, exactly.
  const bDec = Float32Array.of(1, -3, 2, 5);
  const x = Float32Array.of(1, 2, 3, 4);
  const input = variant.bDec ? x.map((v, i) => 2 * (v + bDec[i])) : x;
  const spec: SaeSpec = {
    id: "boundary",
    source: "boundary fixture",
    architecture: "jumprelu",
    dIn,
    dSae,
    applyBDecToInput: variant.bDec,
    normalization: variant.bDec ? { kind: "scale", factor: 0.5 } : { kind: "none" },
    weights: {
      W_enc: { shape: variant.transposed ? [dSae, dIn] : [dIn, dSae], data: wEnc },
      encoderTransposed: variant.transposed,
      b_enc: { shape: [dSae], data: Float32Array.from(FEATURES, (f) => f.b) },
      threshold: { shape: [dSae], data: Float32Array.from(FEATURES, (f) => f.threshold) },
      b_dec: { shape: [dIn], data: bDec },
    },
  };
  return { spec, x: input };
}

Deno.test("encoder: the fixture's thresholds and biases are float32 values, kept exactly", () => {
  for (const f of FEATURES) {
    assert.equal(Math.fround(f.threshold), f.threshold, f.why);
    assert.equal(Math.fround(f.b), f.b, f.why);
  }
  assert.notEqual(ulpStep(T, 1), T);
  assert.equal(Math.fround(BIG + 1 / 16), BIG + 1 / 16);
});

for (const transposed of [false, true]) {
  for (const bDec of [false, true]) {
    Deno.test(`encoder: jumprelu thresholds are strict, exact float32 (transposed=${transposed}, b_dec=${bDec})`, async () => {
      const { spec, x } = boundarySpec({ transposed, bDec });
      const expected = FEATURES.flatMap((f, j) => f.active ? [j] : []);
      // The reference sees the same exact pre-activations.
      const reference = naiveSae(spec, x, 1);
      FEATURES.forEach((f, j) => {
        assert.equal(reference.pre[0][j], f.b + f.w.reduce((s, w, i) => s + w * (i + 1), 0), f.why);
        assert.equal(reference.features[0][j] > 0, f.active, `reference: ${f.why}`);
      });

      const encoder = await SaeEncoder.create(spec);
      try {
        const { features } = await encoder.encode(x, 1);
        assertCsr(features, 1, spec.dSae, "boundary");
        const row = csrRow(features, 0);
        assert.deepEqual(
          row.indices,
          expected,
          `active ${row.indices.map((j) => FEATURES[j].why)}; expected ${expected.map((j) => FEATURES[j].why)}`,
        );
        // Values are the pre-activations themselves, bit for bit.
        row.indices.forEach((j, e) => assert.equal(row.values[e], Math.fround(reference.pre[0][j]), FEATURES[j].why));
      } finally {
        await encoder.release();
      }
    });
  }
}

/** An identity encoder (dIn = dSae), so that the pre-activations are the input rows themselves. */
function identitySpec(
  dSae: number,
  gate: Pick<SaeSpec, "architecture" | "k" | "topkOrder">,
): SaeSpec {
  const eye = new Float32Array(dSae * dSae);
  for (let i = 0; i < dSae; i++) eye[i * dSae + i] = 1;
  const wDec = Float32Array.from({ length: dSae * dSae }, (_, i) => ((i * 7) % 5) - 2);
  return {
    id: "identity",
    source: "identity fixture",
    ...gate,
    dIn: dSae,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    weights: {
      W_enc: { shape: [dSae, dSae], data: eye },
      b_enc: { shape: [dSae], data: new Float32Array(dSae) },
      b_dec: { shape: [dSae], data: Float32Array.from({ length: dSae }, (_, i) => i % 3) },
      W_dec: { shape: [dSae, dSae], data: wDec },
    },
  };
}

/** Rows of pre-activations for k = 3 over 7 features, and the features both top-k orders must give. */
const TOPK_ROWS: { pre: number[]; active: number[]; why: string }[] = [
  { pre: [3, -1, 2, -5, 0, -2, -3], active: [0, 2], why: "2 positive < k; a zero and a negative in the top k" },
  { pre: [-1, -2, -3, -4, -5, -6, -7], active: [], why: "all negative" },
  { pre: [0, 0, 0, 0, 0, 0, 0], active: [], why: "all zero" },
  { pre: [0, -1, 0, 5, 0, 0, -2], active: [3], why: "one positive among zeros" },
  { pre: [1, 4, 2, 6, 5, 3, 7], active: [3, 4, 6], why: "more than k positive" },
  { pre: [1, 2, 2, 2, 0.5, -1, 2], active: [1, 2, 3], why: "tie at the k-th place: lower ids win" },
  { pre: [-1, 2, -0.5, -3, 1, -2, -0.25], active: [1, 4], why: "negatives in the top k" },
];

Deno.test("encoder: relu drops exact zeros and keeps the smallest positive", async () => {
  const spec = identitySpec(7, { architecture: "relu" });
  const pre = [0, -0, 2 ** -126, -(2 ** -126), 1, -1, 3];
  const encoder = await SaeEncoder.create(spec);
  try {
    const { features } = await encoder.encode(Float32Array.from(pre), 1);
    assertCsr(features, 1, 7);
    assert.deepEqual(csrRow(features, 0), { indices: [2, 4, 6], values: [2 ** -126, 1, 3] });
  } finally {
    await encoder.release();
  }
});

Deno.test("encoder: both top-k orders give the positive part of the top k, even when fewer than k are positive", async () => {
  const x = Float32Array.from(TOPK_ROWS.flatMap((r) => r.pre));
  const results = [];
  for (const topkOrder of ["topk-then-relu", "relu-then-topk"] as const) {
    const spec = identitySpec(7, { architecture: "topk", k: 3, topkOrder });
    const reference = naiveSae(spec, x, TOPK_ROWS.length);
    const encoder = await SaeEncoder.create(spec, { reconstruction: true });
    try {
      const result = await encoder.encode(x, TOPK_ROWS.length);
      assertMatchesReference(result.features, reference, topkOrder);
      assertSqError(result.sqError, reference, topkOrder);
      TOPK_ROWS.forEach(({ pre, active, why }, r) => {
        assert.deepEqual(csrRow(result.features, r), { indices: active, values: active.map((j) => pre[j]) }, why);
      });
      results.push(result);
    } finally {
      await encoder.release();
    }
  }
  assert.deepEqual(results[0], results[1]);
});

Deno.test("encoder: the two top-k orders agree on random SAEs whose rows often have fewer than k positive", async () => {
  for (const seed of [31, 32, 33]) {
    const fixture = randomSae({
      dIn: 40,
      dSae: 120,
      rows: 32,
      architecture: "topk",
      topkOrder: "topk-then-relu",
      k: 20,
      applyBDecToInput: true,
      encoderTransposed: seed % 2 === 1,
      normalization: { kind: "none" },
      seed,
    });
    const counts = fixture.reference.features.map((f) => f.filter((v) => v > 0).length);
    assert.ok(counts.some((c) => c < 20), `seed ${seed}: every row has k active (${counts})`);
    const outputs = [];
    for (const topkOrder of ["topk-then-relu", "relu-then-topk"] as const) {
      const encoder = await SaeEncoder.create({ ...fixture.spec, topkOrder }, { reconstruction: true });
      try {
        outputs.push(await encoder.encode(fixture.x, fixture.rows));
      } finally {
        await encoder.release();
      }
    }
    assertMatchesReference(outputs[0].features, fixture.reference, fixture.label);
    assert.deepEqual(outputs[0], outputs[1], `seed ${seed}`);
  }
});
