/**
 * The encoder's CSR output: rowPtr monotone from 0 to nnz, ids ascending within a row (top-k rows come out of TopK
 * sorted by value and are re-sorted by id), values > 0; rows with no active feature (first, middle, last, all), a
 * single row, and input of the wrong length.
 */
import assert from "node:assert/strict";
import { SaeEncoder } from "../../../modules/sae/sae_encoder.ts";
import { naiveSae } from "../reference/naive_sae.ts";
import { assertCsr, assertMatchesReference, csrRow } from "./assert_features.ts";
import { randomSae, type RandomSaeOptions, rowGateMargin, TOPK_MARGIN } from "./random_sae.ts";

const GATES: Pick<RandomSaeOptions, "architecture" | "topkOrder" | "k">[] = [
  { architecture: "jumprelu" },
  { architecture: "relu" },
  { architecture: "topk", topkOrder: "topk-then-relu", k: 5 },
  { architecture: "topk", topkOrder: "relu-then-topk", k: 5 },
];

/**
 * A random SAE whose b_enc is all very negative (and thresholds above it): a zero input row then has no active
 * feature, whatever the gate, while ordinary rows still have some.
 */
function withDeadZeroRow(gate: (typeof GATES)[number], seed: number) {
  const fixture = randomSae({
    dIn: 24,
    dSae: 64,
    rows: 1,
    ...gate,
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed,
  });
  const { spec } = fixture;
  const bEnc = (spec.weights.b_enc as { data: Float32Array }).data;
  bEnc.fill(-50);
  if (spec.weights.threshold) (spec.weights.threshold as { data: Float32Array }).data.fill(1);
  // Input rows: big enough to overcome b_enc on some features, except the zero ones.
  const dIn = spec.dIn;
  const row = (s: number) => Float32Array.from({ length: dIn }, (_, i) => 40 * Math.sin(1 + i * 2.3 + s * 7.1));
  return { spec, row, zero: new Float32Array(dIn) };
}

for (const gate of GATES) {
  const name = `${gate.architecture}${gate.topkOrder ? ` (${gate.topkOrder})` : ""}`;
  Deno.test(`encoder: ${name} CSR with empty rows first, in the middle, last and alone`, async () => {
    const { spec, row, zero } = withDeadZeroRow(gate, 300);
    const batches: { name: string; rows: Float32Array[] }[] = [
      { name: "zero first", rows: [zero, row(1), row(2)] },
      { name: "zero middle", rows: [row(1), zero, zero, row(2)] },
      { name: "zero last", rows: [row(1), row(2), zero] },
      { name: "all zero", rows: [zero, zero, zero] },
      { name: "one zero row", rows: [zero] },
      { name: "one row", rows: [row(3)] },
    ];
    const encoder = await SaeEncoder.create(spec);
    try {
      for (const batch of batches) {
        const x = new Float32Array(batch.rows.length * spec.dIn);
        batch.rows.forEach((r, i) => x.set(r, i * spec.dIn));
        const { features } = await encoder.encode(x, batch.rows.length);
        const reference = naiveSae(spec, x, batch.rows.length);
        assertCsr(features, batch.rows.length, spec.dSae, batch.name);
        assertMatchesReference(features, reference, `${name} ${batch.name}`);
        batch.rows.forEach((r, i) => {
          // Far enough from every gate boundary that float32 cannot flip a decision (the zero rows are far below).
          if (r !== zero) assert.ok(rowGateMargin(spec, reference.pre[i]) >= TOPK_MARGIN, `${batch.name}: margin`);
          const active = csrRow(features, i).indices.length;
          if (r === zero) assert.equal(active, 0, `${batch.name}: zero row ${i} has ${active} active`);
          else assert.ok(active > 0, `${batch.name}: row ${i} has no active feature (fixture too sparse)`);
        });
        if (batch.name === "all zero" || batch.name === "one zero row") {
          assert.deepEqual(Array.from(features.rowPtr), new Array(batch.rows.length + 1).fill(0));
          assert.equal(features.indices.length, 0);
          assert.equal(features.values.length, 0);
        }
      }
    } finally {
      await encoder.release();
    }
  });
}

Deno.test("encoder: top-k rows are sorted by feature id, not by value", async () => {
  const fixture = randomSae({
    dIn: 32,
    dSae: 200,
    rows: 16,
    architecture: "topk",
    topkOrder: "topk-then-relu",
    k: 12,
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 310,
  });
  const encoder = await SaeEncoder.create(fixture.spec);
  try {
    const { features } = await encoder.encode(fixture.x, fixture.rows);
    assertMatchesReference(features, fixture.reference, fixture.label);
    // Some row's values are not already ascending by id, so the re-sort was needed.
    const unsortedByValue = Array.from({ length: fixture.rows }, (_, r) => csrRow(features, r).values)
      .some((v) => v.some((value, i) => i > 0 && value > v[i - 1]) && v.some((value, i) => i > 0 && value < v[i - 1]));
    assert.ok(unsortedByValue);
  } finally {
    await encoder.release();
  }
});

Deno.test("encoder: input whose length is not rows x dIn is refused", async () => {
  const fixture = randomSae({
    dIn: 8,
    dSae: 16,
    rows: 2,
    architecture: "relu",
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 320,
  });
  const encoder = await SaeEncoder.create(fixture.spec);
  try {
    await assert.rejects(encoder.encode(fixture.x, 3), RangeError);
    await assert.rejects(encoder.encode(fixture.x.subarray(1), 2), RangeError);
  } finally {
    await encoder.release();
  }
});

Deno.test("encoder: top-k needs k in 1..dSae", async () => {
  const fixture = randomSae({
    dIn: 8,
    dSae: 16,
    rows: 1,
    architecture: "topk",
    topkOrder: "topk-then-relu",
    k: 4,
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
    seed: 321,
  });
  for (const k of [0, 17, 2.5, undefined]) {
    await assert.rejects(SaeEncoder.create({ ...fixture.spec, k }), /k in 1\.\.16/, `k=${k}`);
  }
  // k == dSae is allowed: every positive pre-activation is active.
  const encoder = await SaeEncoder.create({ ...fixture.spec, k: 16 });
  try {
    const { features } = await encoder.encode(fixture.x, 1);
    const relu = { ...fixture.spec, architecture: "relu" as const };
    const reference = naiveSae(relu, fixture.x, 1);
    assert.ok(rowGateMargin(relu, reference.pre[0]) >= TOPK_MARGIN, "k = dSae: margin");
    assertMatchesReference(features, reference, "k = dSae");
  } finally {
    await encoder.release();
  }
});

Deno.test("encoder: degenerate rows (zero norm, zero variance) give valid CSR and a finite sq_error", async () => {
  let seed = 330;
  for (const gate of GATES) {
    for (const kind of ["constant_norm_rescale", "layer_norm"] as const) {
      const fixture = randomSae({
        dIn: 12,
        dSae: 40,
        rows: 2,
        ...gate,
        applyBDecToInput: false,
        encoderTransposed: false,
        normalization: { kind },
        seed: seed++,
      });
      const label = `${gate.architecture} ${gate.topkOrder ?? ""} ${kind}`;
      const { dIn, dSae } = fixture.spec;
      // Row 0 as drawn, row 1 zero (no norm) or constant (no variance).
      const x = new Float32Array(2 * dIn);
      x.set(fixture.x.subarray(0, dIn));
      x.fill(kind === "layer_norm" ? 2.5 : 0, dIn);
      const encoder = await SaeEncoder.create(fixture.spec, { reconstruction: true });
      try {
        const { features, sqError } = await encoder.encode(x, 2);
        assertCsr(features, 2, dSae, label);
        assert.deepEqual(csrRow(features, 0), csrRow((await encoder.encode(x.subarray(0, dIn), 1)).features, 0));
        if (kind === "constant_norm_rescale") {
          // SAELens computes 0 * sqrt(d) / 0 = NaN for every pre-activation; here no NaN feature is emitted, and the
          // reconstruction (b_dec / infinity) is 0, exactly the input.
          assert.deepEqual(csrRow(features, 1), { indices: [], values: [] }, label);
          assert.equal(sqError![1], 0, label);
        } else {
          // A constant row normalizes to exactly 0, so pre = b_enc exactly: compare with the reference as is.
          const reference = naiveSae(fixture.spec, x, 2);
          assertMatchesReference(features, reference, label);
          assert.equal(sqError![1], reference.sqError[1], label);
        }
      } finally {
        await encoder.release();
      }
    }
  }
});
