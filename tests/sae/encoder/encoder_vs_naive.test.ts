/**
 * The ONNX encoder against the naive float64 reference on random SAEs: every architecture (both top-k orders), with
 * and without `b_dec` subtraction, plain and transposed encoders, every input normalization, at three shapes. Active
 * sets must be identical and values within 1e-5; each row's squared reconstruction error within 1e-4 (relative). The
 * fixtures keep every gate decision at least a margin from its boundary (asserted), so float32 rounding cannot flip one.
 */
import assert from "node:assert/strict";
import { SaeEncoder } from "../../../modules/sae/sae_encoder.ts";
import type { SaeInputNormalization } from "../../../modules/sae/sae_spec.ts";
import { assertMatchesReference, assertSqError } from "./assert_features.ts";
import { gateMargin, randomSae, type RandomSaeOptions, THRESHOLD_MARGIN, TOPK_MARGIN } from "./random_sae.ts";

const SHAPES = [
  { dIn: 16, dSae: 48, rows: 1, k: 6 },
  { dIn: 64, dSae: 256, rows: 7, k: 16 },
  { dIn: 96, dSae: 1000, rows: 64, k: 32 },
];

const GATES: Pick<RandomSaeOptions, "architecture" | "topkOrder">[] = [
  { architecture: "jumprelu" },
  { architecture: "relu" },
  { architecture: "topk", topkOrder: "topk-then-relu" },
  { architecture: "topk", topkOrder: "relu-then-topk" },
];

/** Each normalization with inputs that exercise it: an offset for layer_norm, a large scale for the rescales. */
const NORMALIZATIONS: { normalization: SaeInputNormalization; inputScale: number; inputOffset: number }[] = [
  { normalization: { kind: "none" }, inputScale: 1, inputOffset: 0 },
  { normalization: { kind: "scale", factor: 0.37 }, inputScale: 3, inputOffset: 0 },
  { normalization: { kind: "constant_norm_rescale" }, inputScale: 7, inputOffset: 0.5 },
  { normalization: { kind: "layer_norm" }, inputScale: 4, inputOffset: 3 },
];

let seed = 1;
for (const shape of SHAPES) {
  for (const gate of GATES) {
    const name = `${gate.architecture}${gate.topkOrder ? ` (${gate.topkOrder})` : ""}`;
    Deno.test(`encoder: ${name} ${shape.dIn}x${shape.dSae}, ${shape.rows} rows, matches the naive reference`, async () => {
      for (const norm of NORMALIZATIONS) {
        for (const applyBDecToInput of [false, true]) {
          for (const encoderTransposed of [false, true]) {
            const fixture = randomSae({
              ...shape,
              ...gate,
              ...norm,
              applyBDecToInput,
              encoderTransposed,
              seed: seed++,
            });
            const margin = gateMargin(fixture);
            const wanted = gate.architecture === "topk" ? TOPK_MARGIN : THRESHOLD_MARGIN;
            assert.ok(margin >= wanted, `${fixture.label}: fixture margin ${margin} < ${wanted}`);
            const encoder = await SaeEncoder.create(fixture.spec, { reconstruction: true, threads: 1 });
            try {
              const { features, sqError } = await encoder.encode(fixture.x, fixture.rows);
              assertMatchesReference(features, fixture.reference, fixture.label);
              assertSqError(sqError, fixture.reference, fixture.label);
            } finally {
              await encoder.release();
            }
          }
        }
      }
    });
  }
}

Deno.test("encoder: the random fixtures are not degenerate (some features active, some not, top-k rows short of k)", () => {
  const relu = randomSae({
    ...SHAPES[2],
    architecture: "relu",
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 99,
  });
  const active = relu.reference.features.reduce((n, f) => n + f.filter((v) => v > 0).length, 0);
  const total = relu.rows * relu.spec.dSae;
  assert.ok(active > total * 0.05 && active < total * 0.95, `relu: ${active} of ${total} active`);

  const topk = randomSae({
    ...SHAPES[2],
    architecture: "topk",
    topkOrder: "topk-then-relu",
    applyBDecToInput: true,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 100,
  });
  const counts = topk.reference.features.map((f) => f.filter((v) => v > 0).length);
  assert.ok(counts.some((c) => c < SHAPES[2].k), `topk: no row with fewer than k active (${counts})`);
  assert.ok(counts.some((c) => c === SHAPES[2].k), `topk: no row with k active (${counts})`);
});
