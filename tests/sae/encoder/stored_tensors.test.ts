/**
 * SAE weights referred to in place in a safetensors file (ONNX external data, `stored` tensors): F32 entries give
 * exactly what the same weights in memory give; BF16 and F16 entries (cast to float32 in the graph) give what the
 * naive reference gives on the weights rounded to that type.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  SafetensorsFile,
  type TensorToWrite,
  writeSafetensors,
} from "@saeflow/io";
import { SaeEncoder } from "../../../modules/sae/sae_encoder.ts";
import type { SaeSpec, SaeTensor } from "../../../modules/sae/sae_spec.ts";
import { tempDir } from "../../helpers.ts";
import { assertMatchesReference, assertSqError } from "./assert_features.ts";
import { gateMargin, randomSae, type RandomSaeOptions, THRESHOLD_MARGIN, TOPK_MARGIN } from "./random_sae.ts";

type Dtype = "F32" | "F16" | "BF16";
const TO_BITS = { F16: float32ToFloat16Array, BF16: float32ToBfloat16Array };
const FROM_BITS = { F16: float16ToFloat32Array, BF16: bfloat16ToFloat32Array };
const roundTo = (dtype: Dtype) => (w: Float32Array) => dtype === "F32" ? w : FROM_BITS[dtype](TO_BITS[dtype](w));

/**
 * Writes the spec's tensors to `path` (W_enc and W_dec as `bigDtype`, the rest F32) and returns the spec with every
 * tensor pointing at its entry.
 */
async function storeSpec(spec: SaeSpec, path: string, bigDtype: Dtype): Promise<SaeSpec> {
  const tensors: Record<string, TensorToWrite> = {};
  const dtypes: Record<string, Dtype> = {};
  for (const [name, t] of Object.entries(spec.weights)) {
    if (typeof t !== "object" || !("data" in t)) continue;
    const dtype: Dtype = name === "W_enc" || name === "W_dec" ? bigDtype : "F32";
    dtypes[name] = dtype;
    tensors[name] = dtype === "F32"
      ? { shape: t.shape, data: t.data }
      : { dtype, shape: t.shape, data: TO_BITS[dtype](t.data) };
  }
  await writeSafetensors(path, tensors);
  await using file = await SafetensorsFile.open(path);
  const stored = (name: string, t: SaeTensor | undefined): SaeTensor | undefined => {
    if (!t) return undefined;
    const entry = file.entry(name);
    assert.deepEqual(entry.shape, t.shape);
    return {
      shape: t.shape,
      stored: { file: path, offset: entry.begin, length: entry.end - entry.begin, dtype: dtypes[name] },
    };
  };
  const w = spec.weights;
  return {
    ...spec,
    weights: {
      W_enc: stored("W_enc", w.W_enc)!,
      encoderTransposed: w.encoderTransposed,
      b_enc: stored("b_enc", w.b_enc)!,
      b_dec: stored("b_dec", w.b_dec)!,
      ...(w.threshold ? { threshold: stored("threshold", w.threshold) } : {}),
      ...(w.W_dec ? { W_dec: stored("W_dec", w.W_dec) } : {}),
    },
  };
}

const CASES: Omit<RandomSaeOptions, "seed" | "roundWeights">[] = [
  {
    dIn: 64,
    dSae: 300,
    rows: 11,
    architecture: "jumprelu",
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
  },
  {
    dIn: 48,
    dSae: 200,
    rows: 9,
    architecture: "topk",
    topkOrder: "relu-then-topk",
    k: 10,
    applyBDecToInput: true,
    encoderTransposed: true,
    normalization: { kind: "none" },
  },
  {
    dIn: 32,
    dSae: 96,
    rows: 6,
    architecture: "relu",
    applyBDecToInput: true,
    encoderTransposed: false,
    normalization: { kind: "layer_norm" },
    inputOffset: 2,
  },
  {
    dIn: 40,
    dSae: 128,
    rows: 5,
    architecture: "topk",
    topkOrder: "topk-then-relu",
    k: 8,
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "constant_norm_rescale" },
  },
];

for (const dtype of ["F32", "BF16", "F16"] as const) {
  Deno.test(`encoder: W_enc/W_dec stored as ${dtype} safetensors entries`, async () => {
    await using dir = await tempDir();
    let seed = 900;
    for (const [c, options] of CASES.entries()) {
      const fixture = randomSae({ ...options, seed: seed++, roundWeights: roundTo(dtype) });
      const wanted = options.architecture === "topk" ? TOPK_MARGIN : THRESHOLD_MARGIN;
      assert.ok(gateMargin(fixture) >= wanted, `${fixture.label}: fixture margin`);
      const storedSpec = await storeSpec(fixture.spec, join(dir.path, `sae_${c}.safetensors`), dtype);
      assert.ok(Object.values(storedSpec.weights).every((t) => typeof t !== "object" || "stored" in t));

      const inMemory = await SaeEncoder.create(fixture.spec, { reconstruction: true });
      const onDisk = await SaeEncoder.create(storedSpec, { reconstruction: true });
      try {
        const expected = await inMemory.encode(fixture.x, fixture.rows);
        const actual = await onDisk.encode(fixture.x, fixture.rows);
        const label = `${dtype} ${fixture.label}`;
        assertMatchesReference(actual.features, fixture.reference, label);
        assertSqError(actual.sqError, fixture.reference, label);
        // The same float32 weights either way (rounded ones for BF16/F16): the same features.
        assert.deepEqual(actual.features.indices, expected.features.indices, label);
        assert.deepEqual(actual.features.rowPtr, expected.features.rowPtr, label);
        actual.features.values.forEach((v, e) =>
          assert.ok(Math.abs(v - expected.features.values[e]) <= 1e-6 * Math.max(1, Math.abs(v)), label)
        );
      } finally {
        await inMemory.release();
        await onDisk.release();
      }
    }
  });
}

Deno.test("encoder: bf16 weights are not float32 weights (the rounding is visible)", () => {
  const fixture = randomSae({ ...CASES[0], seed: 901 });
  const w = (fixture.spec.weights.W_enc as { data: Float32Array }).data;
  const rounded = roundTo("BF16")(w);
  assert.ok(rounded.some((v, i) => v !== w[i]));
  assert.ok(rounded.every((v, i) => Math.abs(v - w[i]) <= Math.abs(w[i]) * 2 ** -8));
});

Deno.test("encoder: stored tensors spread over two folders are hard-linked into one and encode the same", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const fixture = randomSae({ ...CASES[0], seed: 902 });
  const inA = await storeSpec(fixture.spec, join(a.path, "a.safetensors"), "F32");
  const inB = await storeSpec(fixture.spec, join(b.path, "b.safetensors"), "F32");
  const mixed: SaeSpec = { ...inA, weights: { ...inA.weights, W_dec: inB.weights.W_dec } };
  // The links are made beside the weights (same filesystem) and removed once the session has started.
  const linkFolders = () =>
    [a.path, b.path].flatMap((dir) => [...Deno.readDirSync(dir)]).filter((e) => e.name.startsWith(".saeflow-external-"))
      .length;
  const single = await SaeEncoder.create(inA, { reconstruction: true });
  const spread = await SaeEncoder.create(mixed, { reconstruction: true });
  try {
    const { x, rows } = fixture;
    const [one, two] = [await single.encode(x, rows), await spread.encode(x, rows)];
    assert.deepEqual(two.features, one.features);
    assert.deepEqual(two.sqError, one.sqError);
  } finally {
    await single.release();
    await spread.release();
  }
  assert.equal(linkFolders(), 0, "the folder of links is removed once the session has started");
});
