/**
 * TfjsSaeEncoder against the ONNX Runtime SaeEncoder (and a float64 reference of the index sets) on small random SAEs
 * of every architecture, normalization and layout, in memory and stored on disk (F32, BF16, F16). Fixtures keep a
 * margin around every gate (|pre - threshold| and |pre| >= 2e-3, top-k gap >= 1e-3) so that float32 rounding
 * differences between the engines cannot flip a feature.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ConfigError, mulberry32, standardNormal } from "@saeflow/core";
import {
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  SafetensorsFile,
  writeSafetensors,
} from "@saeflow/io";
import { SaeEncoder } from "../../modules/sae/sae_encoder.ts";
import type { SaeInputNormalization, SaeSpec, SaeTensor } from "../../modules/sae/sae_spec.ts";
import type { SparseFeatures } from "../../modules/sae/sparse_features.ts";
import { TfjsSaeEncoder } from "../../modules/sae/tfjs_encoder.ts";
import type { TfjsBackend } from "../../modules/sae/tfjs_backend.ts";
import { tempDir } from "../helpers.ts";

const MARGIN = 2e-3;
const TOPK_GAP = 1e-3;

interface Case {
  name: string;
  architecture: SaeSpec["architecture"];
  k?: number;
  topkOrder?: SaeSpec["topkOrder"];
  normalization: SaeInputNormalization;
  applyBDecToInput: boolean;
  transposed: boolean;
  storage: "memory" | "F32" | "BF16" | "F16";
  dIn: number;
  dSae: number;
  rows: number;
  /** Mean of b_enc: negative makes fewer features positive (top-k rows with fewer than k active). */
  biasMean?: number;
}

const CASES: Case[] = [
  c("jumprelu", { normalization: { kind: "none" }, applyBDecToInput: false }),
  c("jumprelu", { normalization: { kind: "scale", factor: 0.5 }, applyBDecToInput: true, transposed: true }),
  c("jumprelu", { normalization: { kind: "constant_norm_rescale" }, storage: "F32" }),
  c("jumprelu", { normalization: { kind: "layer_norm" }, storage: "BF16", transposed: true }),
  c("relu", { normalization: { kind: "none" }, applyBDecToInput: true }),
  c("relu", { normalization: { kind: "layer_norm" }, storage: "F16" }),
  c("relu", { normalization: { kind: "constant_norm_rescale" }, transposed: true, storage: "F32" }),
  c("topk", { k: 8, topkOrder: "topk-then-relu", normalization: { kind: "none" }, applyBDecToInput: true }),
  c("topk", { k: 8, topkOrder: "relu-then-topk", normalization: { kind: "none" }, transposed: true, storage: "F32" }),
  c("topk", { k: 40, topkOrder: "topk-then-relu", normalization: { kind: "layer_norm" }, biasMean: -1.2 }),
  c("topk", { k: 40, topkOrder: "relu-then-topk", normalization: { kind: "scale", factor: 2 }, biasMean: -1.2 }),
];

function c(architecture: Case["architecture"], rest: Partial<Case>): Case {
  const base = {
    architecture,
    normalization: { kind: "none" } as SaeInputNormalization,
    applyBDecToInput: true,
    transposed: false,
    storage: "memory" as const,
    dIn: 48,
    dSae: 96,
    rows: 24,
    ...rest,
  };
  const name = [
    architecture,
    base.k !== undefined ? `k=${base.k} ${base.topkOrder}` : "",
    base.normalization.kind,
    base.applyBDecToInput ? "b_dec in" : "",
    base.transposed ? "transposed" : "",
    base.storage,
  ].filter(Boolean).join(", ");
  return { name, ...base };
}

/** mulberry32 + Box-Muller. */
function gaussians(seed: number) {
  const uniform = mulberry32(seed);
  const normal = standardNormal(uniform);
  return {
    uniform,
    normal,
    array: (n: number, std = 1, mean = 0) => Float32Array.from({ length: n }, () => mean + std * normal()),
  };
}

/** Rounds to what the stored dtype can hold, so the reference sees the same weights as the encoders. */
function roundTo(storage: Case["storage"], values: Float32Array): Float32Array {
  if (storage === "BF16") return bfloat16ToFloat32Array(float32ToBfloat16Array(values));
  if (storage === "F16") return float16ToFloat32Array(float32ToFloat16Array(values));
  return values;
}

interface Fixture {
  x: Float32Array;
  W: Float32Array; // [dIn, dSae]
  bEnc: Float32Array;
  bDec: Float32Array;
  threshold: Float32Array;
  /** Float64 reference: each row's active feature ids, ascending. */
  expected: number[][];
}

/** Preprocessed input in float64, as SAELens defines it. */
function preprocess(kase: Case, x: Float32Array, bDec: Float32Array): Float64Array {
  const { dIn, rows, normalization: n } = kase;
  const out = new Float64Array(rows * dIn);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * dIn, (r + 1) * dIn));
    let v = row;
    if (n.kind === "scale") v = row.map((a) => a * n.factor);
    if (n.kind === "constant_norm_rescale") {
      const norm = Math.sqrt(row.reduce((s, a) => s + a * a, 0));
      v = row.map((a) => (a * Math.sqrt(dIn)) / norm);
    }
    if (n.kind === "layer_norm") {
      const mean = row.reduce((s, a) => s + a, 0) / dIn;
      const std = Math.sqrt(row.reduce((s, a) => s + (a - mean) ** 2, 0) / (dIn - 1));
      v = row.map((a) => (a - mean) / (std + 1e-5));
    }
    for (let i = 0; i < dIn; i++) out[r * dIn + i] = v[i] - (kase.applyBDecToInput ? bDec[i] : 0);
  }
  return out;
}

/** A random SAE and input with margins around every gate, or undefined when this seed's top-k gaps are too small. */
function tryFixture(kase: Case, seed: number): Fixture | undefined {
  const { dIn, dSae, rows } = kase;
  const g = gaussians(seed);
  const x = new Float32Array(rows * dIn);
  for (let r = 0; r < rows; r++) {
    const offset = g.normal(), scale = 0.5 + 2 * g.uniform();
    for (let i = 0; i < dIn; i++) x[r * dIn + i] = offset + scale * g.normal();
  }
  const W = roundTo(kase.storage, g.array(dIn * dSae, 1 / Math.sqrt(dIn)));
  const bDec = g.array(dIn, 0.3);
  const centered = preprocess(kase, x, bDec);
  const dot = new Float64Array(rows * dSae);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < dIn; i++) {
      const a = centered[r * dIn + i];
      for (let j = 0; j < dSae; j++) dot[r * dSae + j] += a * W[i * dSae + j];
    }
  }
  const column = (j: number, shift: number) => Array.from({ length: rows }, (_, r) => dot[r * dSae + j] + shift);
  const clearOf = (values: number[], level: number) => values.every((v) => Math.abs(v - level) >= MARGIN);
  const bEnc = new Float32Array(dSae);
  const threshold = new Float32Array(dSae);
  for (let j = 0; j < dSae; j++) {
    // b_enc keeps every pre-activation off 0 (the ReLU edge); threshold keeps them off the jump.
    let tries = 0;
    do bEnc[j] = (kase.biasMean ?? 0) + 0.5 * g.normal(); while (!clearOf(column(j, bEnc[j]), 0) && ++tries < 1000);
    do threshold[j] = -0.3 + 1.5 * g.uniform(); while (!clearOf(column(j, bEnc[j]), threshold[j]) && ++tries < 2000);
    if (tries >= 2000) return undefined;
  }
  const expected: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const pre = Array.from({ length: dSae }, (_, j) => dot[r * dSae + j] + bEnc[j]);
    let active: number[];
    if (kase.architecture === "topk") {
      const order = pre.map((_, j) => j).sort((a, b) => pre[b] - pre[a]);
      if (pre[order[kase.k! - 1]] - pre[order[kase.k!]] < TOPK_GAP) return undefined;
      active = order.slice(0, kase.k!).filter((j) => pre[j] > 0);
    } else {
      const gate = kase.architecture === "jumprelu" ? threshold : new Float32Array(dSae);
      active = pre.map((_, j) => j).filter((j) => pre[j] > gate[j] && pre[j] > 0);
    }
    expected.push(active.sort((a, b) => a - b));
  }
  return { x, W, bEnc, bDec, threshold, expected };
}

function fixture(kase: Case, seed: number): Fixture {
  for (let attempt = 0; attempt < 200; attempt++) {
    const f = tryFixture(kase, seed + 7919 * attempt);
    if (f) return f;
  }
  throw new Error(`${kase.name}: no fixture with the required margins`);
}

function transpose(W: Float32Array, dIn: number, dSae: number): Float32Array {
  const out = new Float32Array(W.length);
  for (let i = 0; i < dIn; i++) for (let j = 0; j < dSae; j++) out[j * dIn + i] = W[i * dSae + j];
  return out;
}

/** The SaeSpec of a fixture; stored cases write a safetensors file into `dir`. */
async function specOf(kase: Case, f: Fixture, dir: string): Promise<SaeSpec> {
  const { dIn, dSae } = kase;
  const wEnc = kase.transposed ? transpose(f.W, dIn, dSae) : f.W;
  const wShape = kase.transposed ? [dSae, dIn] : [dIn, dSae];
  let weights: SaeSpec["weights"];
  if (kase.storage === "memory") {
    weights = {
      W_enc: { shape: wShape, data: wEnc },
      b_enc: { shape: [dSae], data: f.bEnc },
      b_dec: { shape: [dIn], data: f.bDec },
      threshold: { shape: [dSae], data: f.threshold },
    };
  } else {
    const path = `${dir}/sae.safetensors`;
    const w = kase.storage === "F32" ? { shape: wShape, data: wEnc } : {
      dtype: kase.storage,
      shape: wShape,
      data: kase.storage === "BF16" ? float32ToBfloat16Array(wEnc) : float32ToFloat16Array(wEnc),
    };
    await writeSafetensors(path, {
      W_enc: w,
      b_enc: { shape: [dSae], data: f.bEnc },
      b_dec: { shape: [dIn], data: f.bDec },
      threshold: { shape: [dSae], data: f.threshold },
    });
    using file = await SafetensorsFile.open(path);
    const stored = (name: string): SaeTensor => {
      const e = file.entry(name);
      return {
        shape: e.shape,
        stored: { file: path, offset: e.begin, length: e.end - e.begin, dtype: e.dtype as "F32" | "BF16" | "F16" },
      };
    };
    weights = {
      W_enc: stored("W_enc"),
      b_enc: stored("b_enc"),
      b_dec: stored("b_dec"),
      threshold: stored("threshold"),
    };
  }
  return {
    id: `random ${kase.name}`,
    source: "test",
    architecture: kase.architecture,
    dIn,
    dSae,
    k: kase.k,
    topkOrder: kase.topkOrder,
    applyBDecToInput: kase.applyBDecToInput,
    normalization: kase.normalization,
    weights: { ...weights, encoderTransposed: kase.transposed },
  };
}

function rowsOf(f: SparseFeatures): { indices: number[]; values: number[] }[] {
  return Array.from({ length: f.rows }, (_, r) => ({
    indices: Array.from(f.indices.subarray(f.rowPtr[r], f.rowPtr[r + 1])),
    values: Array.from(f.values.subarray(f.rowPtr[r], f.rowPtr[r + 1])),
  }));
}

function assertSame(actual: SparseFeatures, reference: SparseFeatures, what: string): void {
  assert.equal(actual.rows, reference.rows);
  assert.equal(actual.dSae, reference.dSae);
  const [a, b] = [rowsOf(actual), rowsOf(reference)];
  for (let r = 0; r < a.length; r++) {
    assert.deepEqual(a[r].indices, b[r].indices, `${what}: row ${r} index set`);
    for (let i = 0; i < a[r].values.length; i++) {
      const diff = Math.abs(a[r].values[i] - b[r].values[i]);
      assert.ok(diff <= 1e-4, `${what}: row ${r} feature ${a[r].indices[i]}: ${a[r].values[i]} vs ${b[r].values[i]}`);
      assert.ok(a[r].values[i] > 0);
    }
  }
}

/** Encodes every case on `backend` and compares with ORT and the float64 reference. */
async function compareAll(backend: TfjsBackend, options: { maxBlockBytes?: number } = {}) {
  let seed = 1;
  for (const kase of CASES) {
    await using dir = await tempDir();
    const f = fixture(kase, seed++);
    const spec = await specOf(kase, f, dir.path);
    const ort = await SaeEncoder.create(spec);
    const reference = (await ort.encode(f.x, kase.rows)).features;
    await ort.release();
    assert.deepEqual(rowsOf(reference).map((r) => r.indices), f.expected, `${kase.name}: ORT vs float64 reference`);
    assert.ok(reference.indices.length > kase.rows, `${kase.name}: some features are active`);

    const encoder = await TfjsSaeEncoder.create(spec, { backend, ...options });
    const tensorsBefore = tf.memory().numTensors;
    const { features } = await encoder.encode(f.x, kase.rows);
    assertSame(features, reference, `${backend} ${kase.name}`);
    // A second call gives the same answer and leaves no tensor behind.
    assertSame((await encoder.encode(f.x, kase.rows)).features, reference, `${backend} ${kase.name} (again)`);
    assert.equal(tf.memory().numTensors, tensorsBefore, `${kase.name}: tensors leaked by encode`);
    await encoder.release();
  }
}

Deno.test("TfjsSaeEncoder (wasm) matches SaeEncoder (ORT) on every architecture, normalization and layout", async () => {
  await compareAll("wasm");
});

Deno.test("TfjsSaeEncoder (wasm) gives the same answer when W_enc and the rows are split into small blocks", async () => {
  // 4 bytes x 48 inputs x 20 features: blocks of <= 20 features (5 of them for 96) and of <= 20 rows (2 for 24).
  await compareAll("wasm", { maxBlockBytes: 4 * 48 * 20 });
});

Deno.test("TfjsSaeEncoder (cpu) matches SaeEncoder (ORT) on a jumprelu and a topk SAE", async () => {
  for (const kase of [CASES[1], CASES[9]]) {
    await using dir = await tempDir();
    const f = fixture(kase, 99);
    const spec = await specOf(kase, f, dir.path);
    const ort = await SaeEncoder.create(spec);
    const reference = (await ort.encode(f.x, kase.rows)).features;
    await ort.release();
    const encoder = await TfjsSaeEncoder.create(spec, { backend: "cpu" });
    assertSame((await encoder.encode(f.x, kase.rows)).features, reference, `cpu ${kase.name}`);
    await encoder.release();
  }
});

Deno.test({
  name: "TfjsSaeEncoder (webgpu) matches SaeEncoder (ORT), or refuses with a ConfigError where WebGPU cannot start",
  // The WebGPU device lives for the rest of the process.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const kase = CASES[0];
    const f = fixture(kase, 5);
    const spec = await specOf(kase, f, "");
    let encoder: TfjsSaeEncoder;
    try {
      encoder = await TfjsSaeEncoder.create(spec, { backend: "webgpu" });
    } catch (error) {
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
      assert.match(error.message, /webgpu/);
      console.log(`webgpu skipped: ${error.message}`);
      return;
    }
    await encoder.release();
    await compareAll("webgpu");
    await compareAll("webgpu", { maxBlockBytes: 4 * 48 * 20 });
  },
});

Deno.test("TfjsSaeEncoder refuses bad specs and inputs by name", async () => {
  const kase = CASES[0];
  const f = fixture(kase, 3);
  const spec = await specOf(kase, f, "");
  await assert.rejects(
    TfjsSaeEncoder.create({ ...spec, weights: { ...spec.weights, threshold: undefined } }),
    (e: Error) => e instanceof ConfigError && /threshold/.test(e.message),
  );
  await assert.rejects(
    TfjsSaeEncoder.create({ ...spec, architecture: "topk", k: 0 }),
    (e: Error) => e instanceof ConfigError && /k in 1\.\.96/.test(e.message),
  );
  await assert.rejects(
    TfjsSaeEncoder.create({
      ...spec,
      weights: { ...spec.weights, W_enc: { shape: [2, 2], data: new Float32Array(4) } },
    }),
    (e: Error) => e instanceof ConfigError && /W_enc has 4 values/.test(e.message),
  );
  await assert.rejects(
    TfjsSaeEncoder.create(spec, { backend: "tpu" as TfjsBackend }),
    (e: Error) => e instanceof ConfigError && /unknown tfjs backend "tpu"/.test(e.message),
  );
  // Gemma Scope's 262k width: W_enc and XNNPACK's packed copy of it would need 4.5 GiB of wasm heap.
  const huge = 262144;
  await assert.rejects(
    TfjsSaeEncoder.create({
      ...spec,
      dIn: 2304,
      dSae: huge,
      weights: {
        ...spec.weights,
        W_enc: {
          shape: [2304, huge],
          stored: { file: "/nonexistent", offset: 0, length: 4 * 2304 * huge, dtype: "F32" },
        },
      },
    }),
    (e: Error) => e instanceof ConfigError && /do not fit in a wasm heap/.test(e.message),
  );
  const encoder = await TfjsSaeEncoder.create(spec);
  await assert.rejects(encoder.encode(new Float32Array(47), 1), RangeError);
  const empty = await encoder.encode(new Float32Array(0), 0);
  assert.deepEqual(Array.from(empty.features.rowPtr), [0]);
  await encoder.release();
  await assert.rejects(encoder.encode(f.x, kase.rows), /released/);
});
