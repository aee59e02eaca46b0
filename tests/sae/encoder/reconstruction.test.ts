/**
 * `sq_error` (each row's `||x - x̂||²` in input space, after the inverse normalization) against the naive reference,
 * for every normalization and architecture, at input scales from 1e-3 to 1e3. Small scales matter for layer_norm:
 * SAELens divides by `std + 1e-5` on the way in but multiplies by `std` alone on the way out, and at std ~1e-3 the
 * difference is ~1% of the reconstruction.
 */
import assert from "node:assert/strict";
import { SaeEncoder } from "../../../modules/sae/sae_encoder.ts";
import type { SaeInputNormalization } from "../../../modules/sae/sae_spec.ts";
import { assertMatchesReference, assertSqError } from "./assert_features.ts";
import { randomSae, type RandomSaeOptions } from "./random_sae.ts";

const NORMALIZATIONS: SaeInputNormalization[] = [
  { kind: "none" },
  { kind: "scale", factor: 0.125 },
  { kind: "constant_norm_rescale" },
  { kind: "layer_norm" },
];
const GATES: Pick<RandomSaeOptions, "architecture" | "topkOrder" | "k">[] = [
  { architecture: "jumprelu" },
  { architecture: "relu" },
  { architecture: "topk", topkOrder: "topk-then-relu", k: 12 },
  { architecture: "topk", topkOrder: "relu-then-topk", k: 12 },
];

for (const normalization of NORMALIZATIONS) {
  // Without normalization (or with a fixed factor) the features see the raw scale: keep it moderate there, so that
  // feature values are not small differences of large pre-activations.
  const scales = normalization.kind === "none" ? [0.5, 2] : normalization.kind === "scale" ? [1, 8] : [1e-3, 1, 1e3];
  Deno.test(`encoder: sq_error matches the naive reference with ${normalization.kind} normalization`, async () => {
    let seed = 5000;
    for (const gate of GATES) {
      for (const inputScale of scales) {
        const fixture = randomSae({
          dIn: 48,
          dSae: 160,
          rows: 9,
          ...gate,
          normalization,
          inputScale,
          applyBDecToInput: seed % 2 === 0,
          encoderTransposed: false,
          seed: seed++,
        });
        const label = `${fixture.label} scale=${inputScale}`;
        const encoder = await SaeEncoder.create(fixture.spec, { reconstruction: true, threads: 1 });
        try {
          const { features, sqError } = await encoder.encode(fixture.x, fixture.rows);
          assertMatchesReference(features, fixture.reference, label);
          assertSqError(sqError, fixture.reference, label);
        } finally {
          await encoder.release();
        }
      }
    }
  });
}

Deno.test("encoder: without reconstruction there is no sqError and the features are the same", async () => {
  const fixture = randomSae({
    dIn: 32,
    dSae: 100,
    rows: 5,
    architecture: "jumprelu",
    applyBDecToInput: true,
    encoderTransposed: true,
    normalization: { kind: "layer_norm" },
    seed: 77,
  });
  const plain = await SaeEncoder.create(fixture.spec);
  const withError = await SaeEncoder.create(fixture.spec, { reconstruction: true });
  try {
    const a = await plain.encode(fixture.x, fixture.rows);
    const b = await withError.encode(fixture.x, fixture.rows);
    assert.equal(a.sqError, undefined);
    assert.ok(b.sqError instanceof Float32Array);
    assert.deepEqual(a.features, b.features);
  } finally {
    await plain.release();
    await withError.release();
  }
});

Deno.test("encoder: reconstruction without W_dec is refused by name", async () => {
  const fixture = randomSae({
    dIn: 8,
    dSae: 16,
    rows: 1,
    architecture: "relu",
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 78,
  });
  delete fixture.spec.weights.W_dec;
  await assert.rejects(SaeEncoder.create(fixture.spec, { reconstruction: true }), /W_dec/);
});
