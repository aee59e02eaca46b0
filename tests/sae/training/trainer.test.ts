/**
 * The SAE trainer's parts against hand computations (Adam against a float64 Adam, the learning-rate schedule, the
 * geometric median against an independent nested ternary search, dead/dense bookkeeping, config defaults and
 * errors), and the whole trainer on a planted sparse dictionary: TopK and JumpReLU recover the atoms the data was
 * made of, reconstruct held-out rows (encoded by the ONNX Runtime encoder) and leak no tensors. Training is
 * bit-deterministic for a seed and resumes from a checkpoint bit-identically; the trained spec encodes through
 * SaeEncoder with the active sets of a naive float64 encode.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "@saeflow/core";
import {
  geometricMedian,
  resolveTrainingConfig,
  SaeEncoder,
  type SaeSpec,
  SaeTrainer,
  type SaeTrainingConfig,
  startTfjsBackend,
  type StepMetrics,
  type TrainingConfigInput,
} from "@saeflow/sae";
import { Adam, learningRateAt } from "../../../modules/sae/training/adam.ts";
import { FeatureActivity } from "../../../modules/sae/training/feature_activity.ts";
import { tempDir } from "../../helpers.ts";
import { mulberry32, standardNormal } from "../../random.ts";

await startTfjsBackend("wasm");

// ---------------------------------------------------------------------------------------------------------------
// Adam and the schedule

Deno.test("Adam: three bias-corrected steps equal a float64 Adam (moments included)", () => {
  const options = { beta1: 0.8, beta2: 0.95, epsilon: 1e-3 };
  const gaussian = standardNormal(mulberry32(11));
  const n = 12;
  const start = Float64Array.from({ length: n }, () => Math.fround(gaussian()));
  // Gradients of mixed magnitudes, so that ε (1e-3) matters for the small ones.
  const gradients = [0, 1, 2].map(() =>
    Float64Array.from({ length: n }, (_, i) => Math.fround(gaussian() * (i % 3 === 0 ? 1e-3 : 1)))
  );
  const rates = [0.1, 0.05, 0.02];

  const before = tf.memory().numTensors;
  let params: Record<string, tf.Tensor> = { w: tf.tensor2d(Float32Array.from(start), [3, 4]) };
  const adam = Adam.zeros(options, params);
  for (let s = 0; s < 3; s++) {
    const g = tf.tensor2d(Float32Array.from(gradients[s]), [3, 4]);
    params = adam.update(params, { w: g }, rates[s]);
    g.dispose();
  }
  assert.equal(adam.steps, 3);
  const actual = params.w.dataSync();
  const m = adam.m.get("w")!.dataSync();
  const v = adam.v.get("w")!.dataSync();
  assert.deepEqual(params.w.shape, [3, 4]);

  // float64
  const w = Float64Array.from(start);
  const m64 = new Float64Array(n);
  const v64 = new Float64Array(n);
  for (let s = 0; s < 3; s++) {
    const t = s + 1;
    for (let i = 0; i < n; i++) {
      const g = gradients[s][i];
      m64[i] = options.beta1 * m64[i] + (1 - options.beta1) * g;
      v64[i] = options.beta2 * v64[i] + (1 - options.beta2) * g * g;
      const mHat = m64[i] / (1 - options.beta1 ** t);
      const vHat = v64[i] / (1 - options.beta2 ** t);
      w[i] -= rates[s] * mHat / (Math.sqrt(vHat) + options.epsilon);
    }
  }
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(actual[i] - w[i]) <= 1e-6 * (1 + Math.abs(w[i])), `w[${i}]: ${actual[i]} vs ${w[i]}`);
    assert.ok(Math.abs(m[i] - m64[i]) <= 1e-6 * (1e-3 + Math.abs(m64[i])), `m[${i}]: ${m[i]} vs ${m64[i]}`);
    assert.ok(Math.abs(v[i] - v64[i]) <= 1e-6 * (1e-6 + Math.abs(v64[i])), `v[${i}]: ${v[i]} vs ${v64[i]}`);
  }
  // Not vacuous: the step moved every entry by more than the tolerance, and ε changed the small-gradient entries
  // (Adam with ε = 0 lands elsewhere).
  for (let i = 0; i < n; i++) assert.ok(Math.abs(w[i] - start[i]) > 1e-3, `entry ${i} barely moved`);
  const noEpsilon = Float64Array.from(start);
  m64.fill(0), v64.fill(0);
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < n; i++) {
      const g = gradients[s][i];
      m64[i] = options.beta1 * m64[i] + (1 - options.beta1) * g;
      v64[i] = options.beta2 * v64[i] + (1 - options.beta2) * g * g;
      noEpsilon[i] -= rates[s] * (m64[i] / (1 - options.beta1 ** (s + 1))) /
        Math.sqrt(v64[i] / (1 - options.beta2 ** (s + 1)));
    }
  }
  for (let i = 0; i < n; i += 3) assert.ok(Math.abs(noEpsilon[i] - w[i]) > 1e-2, `ε does not matter at ${i}`);
  tf.dispose(Object.values(params));
  adam.dispose();
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("learningRateAt: linear warm-up, constant, linear decay over the last steps (hand values)", () => {
  const close = (actual: number[], expected: number[]) =>
    actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `step ${i}: ${a} vs ${expected[i]}`));
  const schedule = { learningRate: 2, warmupSteps: 4, decaySteps: 3, totalSteps: 10 };
  close(
    Array.from({ length: 10 }, (_, s) => learningRateAt(s, schedule)),
    [0.5, 1, 1.5, 2, 2, 2, 2, 2, 4 / 3, 2 / 3],
  );
  const constant = { learningRate: 3e-4, warmupSteps: 0, decaySteps: 0, totalSteps: 5 };
  close(Array.from({ length: 5 }, (_, s) => learningRateAt(s, constant)), [3e-4, 3e-4, 3e-4, 3e-4, 3e-4]);
  // Warm-up and decay overlapping multiply.
  const overlap = { learningRate: 1, warmupSteps: 4, decaySteps: 4, totalSteps: 4 };
  close(Array.from({ length: 4 }, (_, s) => learningRateAt(s, overlap)), [0.25, 0.5 * 0.75, 0.75 * 0.5, 0.25]);
});

// ---------------------------------------------------------------------------------------------------------------
// Geometric median

/** argmin of a convex f on [lo, hi] by ternary search. */
function ternary(f: (t: number) => number, lo: number, hi: number, iterations = 200): number {
  for (let i = 0; i < iterations; i++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (f(a) < f(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

Deno.test("geometricMedian: (0,0), (1,0), (0,1), (10,10) against a nested ternary search; not the mean", () => {
  const points = [[0, 0], [1, 0], [0, 1], [10, 10]];
  const cost = (x: number, y: number) => points.reduce((s, [px, py]) => s + Math.hypot(x - px, y - py), 0);
  // min over y of a jointly convex function is convex in x: nested ternary searches find the minimiser.
  const bestY = (x: number) => ternary((y) => cost(x, y), -20, 20, 120);
  const x = ternary((x) => cost(x, bestY(x)), -20, 20, 120);
  const y = bestY(x);
  const median = geometricMedian(Float32Array.from(points.flat()), 2);
  assert.ok(Math.abs(median[0] - x) < 1e-5 && Math.abs(median[1] - y) < 1e-5, `${median} vs ${[x, y]}`);
  // By symmetry x = y; the optimality condition (unit vectors sum to 0) holds at the reference.
  assert.ok(Math.abs(x - y) < 1e-9);
  let gx = 0, gy = 0;
  for (const [px, py] of points) {
    const d = Math.hypot(x - px, y - py);
    gx += (x - px) / d, gy += (y - py) / d;
  }
  assert.ok(Math.hypot(gx, gy) < 1e-6, `gradient ${gx}, ${gy}`);
  assert.ok(cost(median[0], median[1]) < cost(2.75, 2.75) - 1, "no better than the mean");
  assert.ok(Math.abs(median[0] - 2.75) > 2, "the median is the mean");
});

Deno.test("geometricMedian: in 1-D, the median of an odd count (a data point, far from the mean)", () => {
  const median = geometricMedian(Float32Array.of(3, 0, 100, 1, 2), 1);
  assert.ok(Math.abs(median[0] - 2) < 1e-5, `${median[0]}`);
});

// ---------------------------------------------------------------------------------------------------------------
// FeatureActivity

Deno.test("FeatureActivity: dead masks by window, dead/dense report fractions, reset after a report", () => {
  const activity = FeatureActivity.fresh(5);
  activity.add(Float32Array.of(1, 0, 0, 2, 0), 10);
  activity.add(Float32Array.of(0, 0, 3, 0, 0), 5);
  assert.deepEqual(Array.from(activity.tokensSinceFired), [5, 15, 0, 5, 15]);
  const dead = (window: number) => {
    const { mask, count } = activity.deadMask(window);
    return [Array.from(mask), count];
  };
  assert.deepEqual(dead(10), [[0, 1, 0, 0, 1], 2]);
  assert.deepEqual(dead(15), [[0, 1, 0, 0, 1], 2]);
  assert.deepEqual(dead(16), [[0, 0, 0, 0, 0], 0]);
  assert.deepEqual(dead(5), [[1, 1, 0, 1, 1], 4]);
  assert.deepEqual(dead(0), [[1, 1, 1, 1, 1], 5]);
  // Fired: [1, 0, 3, 2, 0] over 15 tokens; dense above 0.1 · 15 = 1.5: latents 2 and 3.
  assert.deepEqual(activity.report(0.1), { deadFraction: 2 / 5, denseFraction: 2 / 5, tokens: 15 });
  activity.add(Float32Array.of(0, 4, 0, 0, 0), 4);
  // Fired since the report: latent 1 only, on all 4 tokens (dense at 0.5); the dead window keeps counting.
  assert.deepEqual(Array.from(activity.tokensSinceFired), [9, 0, 4, 9, 19]);
  assert.deepEqual(activity.report(0.5), { deadFraction: 4 / 5, denseFraction: 1 / 5, tokens: 4 });
  assert.deepEqual(activity.report(), { deadFraction: 1, denseFraction: 0, tokens: 0 });
});

// ---------------------------------------------------------------------------------------------------------------
// Config

Deno.test("resolveTrainingConfig: defaults per architecture", () => {
  const topk = resolveTrainingConfig({ architecture: "topk", dIn: 64, dSae: 256, totalSteps: 10 });
  assert.equal(topk.applyBDecToInput, true);
  assert.equal(topk.auxK, 32);
  assert.equal(topk.auxCoefficient, 1 / 32);
  assert.equal(topk.normalizeDecoder, true);
  assert.equal(topk.bDecInit, "geometric-median");
  const jumprelu = resolveTrainingConfig({ architecture: "jumprelu", dIn: 65, dSae: 256, totalSteps: 10 });
  assert.equal(jumprelu.applyBDecToInput, false);
  assert.equal(jumprelu.auxK, 32);
  assert.ok(jumprelu.learningRate > 0 && jumprelu.bandwidth > 0 && jumprelu.initialThreshold > 0);
  // Given values win over defaults.
  assert.equal(
    resolveTrainingConfig({ architecture: "jumprelu", dIn: 8, dSae: 16, totalSteps: 1, applyBDecToInput: true })
      .applyBDecToInput,
    true,
  );
  assert.equal(resolveTrainingConfig({ architecture: "topk", dIn: 1, dSae: 16, totalSteps: 1, k: 4 }).auxK, 1);
});

Deno.test("resolveTrainingConfig: ConfigErrors name the bad setting", () => {
  const base: TrainingConfigInput = { architecture: "topk", dIn: 8, dSae: 16, totalSteps: 10 };
  const rejects = (input: TrainingConfigInput, key: RegExp) =>
    assert.throws(() => resolveTrainingConfig(input), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
      assert.match(e.message, key);
      return true;
    });
  rejects({ ...base, k: 17 }, /\bk 17\b.*16/);
  rejects({ ...base, learningRate: -1e-3 }, /learningRate/);
  rejects({ ...base, learningRate: 0 }, /learningRate/);
  rejects({ ...base, architecture: "relu" as never }, /architecture "relu"/);
  rejects({ ...base, batchSize: 0 }, /batchSize/);
  rejects({ ...base, beta2: 1 }, /beta2/);
  rejects({ ...base, bDecInit: "median" as never }, /bDecInit/);
  rejects({ ...base, l0Coefficient: -1 }, /l0Coefficient/);
  // k = dSae is allowed; JumpReLU ignores k.
  assert.equal(resolveTrainingConfig({ ...base, k: 16 }).k, 16);
  assert.equal(resolveTrainingConfig({ ...base, architecture: "jumprelu", k: 17 }).k, 17);
});

// ---------------------------------------------------------------------------------------------------------------
// A planted dictionary

const D = 32;
const ATOMS = 64;
const ACTIVE = 3;

/** 64 unit-norm random atoms in 32 dimensions, and rows that are sums of 3 distinct atoms with coefficients in [1, 3]. */
function plantedDictionary(seed: number) {
  const gaussian = standardNormal(mulberry32(seed));
  const atoms = new Float64Array(ATOMS * D);
  for (let a = 0; a < ATOMS; a++) {
    let norm = 0;
    for (let i = 0; i < D; i++) norm += (atoms[a * D + i] = gaussian()) ** 2;
    for (let i = 0; i < D; i++) atoms[a * D + i] /= Math.sqrt(norm);
  }
  const uniform = mulberry32(seed + 1000);
  const batch = (rows: number): Float32Array => {
    const out = new Float32Array(rows * D);
    for (let r = 0; r < rows; r++) {
      const chosen = new Set<number>();
      while (chosen.size < ACTIVE) chosen.add(Math.floor(uniform() * ATOMS));
      for (const a of chosen) {
        const c = 1 + 2 * uniform();
        for (let i = 0; i < D; i++) out[r * D + i] += c * atoms[a * D + i];
      }
    }
    return out;
  };
  return { atoms, batch };
}

/** For each atom, the best cosine with any decoder row. */
function atomCosines(atoms: Float64Array, spec: SaeSpec): number[] {
  const w = spec.weights.W_dec as { data: Float32Array };
  const best: number[] = [];
  for (let a = 0; a < ATOMS; a++) {
    let top = -1;
    for (let j = 0; j < spec.dSae; j++) {
      let dot = 0, norm = 0;
      for (let i = 0; i < D; i++) dot += w.data[j * D + i] * atoms[a * D + i], norm += w.data[j * D + i] ** 2;
      top = Math.max(top, dot / Math.sqrt(norm));
    }
    best.push(top);
  }
  return best;
}

/** `Σ‖x − x̂‖² / Σ‖x − x̄‖²` of `x` with x̂ decoded (float64) from the CSR features (training units → raw). */
function heldOutFvu(spec: SaeSpec, x: Float32Array, rows: number, features: import("@saeflow/sae").SparseFeatures) {
  const scale = (spec.normalization as { factor: number }).factor;
  const wDec = (spec.weights.W_dec as { data: Float32Array }).data;
  const bDec = (spec.weights.b_dec as { data: Float32Array }).data;
  const mean = new Float64Array(D);
  for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) mean[i] += x[r * D + i] / rows;
  let error = 0, variance = 0;
  const perRow = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const xHat = Float64Array.from(bDec);
    for (let e = features.rowPtr[r]; e < features.rowPtr[r + 1]; e++) {
      const j = features.indices[e];
      for (let i = 0; i < D; i++) xHat[i] += features.values[e] * wDec[j * D + i];
    }
    for (let i = 0; i < D; i++) {
      perRow[r] += (x[r * D + i] - xHat[i] / scale) ** 2;
      variance += (x[r * D + i] - mean[i]) ** 2;
    }
    error += perRow[r];
  }
  return { fvu: error / variance, perRow };
}

interface PlantedRun {
  name: string;
  config: TrainingConfigInput;
  steps: number;
  /** Bounds, measured with margin (see the report of the run in the test's name). */
  minRecovered: number;
  maxFvu: number;
  maxL0: number;
}

const PLANTED: PlantedRun[] = [
  {
    // Measured (data seed 7, trainer seed 1): 62/64 atoms at cosine > 0.9 after 1000 steps (min cosine 0.77),
    // 59–64/64 across data seeds at 800–1200 steps; held-out FVU 0.056.
    name: "topk",
    config: {
      architecture: "topk",
      dIn: D,
      dSae: 128,
      batchSize: 256,
      k: 3,
      learningRate: 3e-3,
      warmupSteps: 50,
      deadAfterTokens: 256 * 50,
      seed: 1,
      totalSteps: 1000,
    },
    steps: 1000,
    minRecovered: 0.9,
    maxFvu: 0.1,
    maxL0: 3,
  },
  {
    // λ = 3e-3 (with lr 1e-3) stays dense (L0 ≈ 20, no atom recovered after 3000 steps); λ = 3e-2 with lr 3e-3
    // recovers 60–64/64 after 1500 steps over 5 data/trainer seeds (64 here), L0 ≈ 2.8, batch FVU ≈ 0.08.
    name: "jumprelu",
    config: {
      architecture: "jumprelu",
      dIn: D,
      dSae: 128,
      batchSize: 256,
      learningRate: 3e-3,
      warmupSteps: 50,
      l0Coefficient: 3e-2,
      bandwidth: 0.05,
      initialThreshold: 0.05,
      seed: 1,
      totalSteps: 1500,
    },
    steps: 1500,
    minRecovered: 0.9,
    maxFvu: 0.15,
    maxL0: 4,
  },
];

for (const run of PLANTED) {
  Deno.test(`planted dictionary (${run.name}): recovers the atoms, reconstructs held-out rows, leaks nothing`, async () => {
    const { atoms, batch } = plantedDictionary(7);
    const config = resolveTrainingConfig(run.config);
    const first = batch(config.batchSize);
    const heldOut = batch(512);
    const trainer = SaeTrainer.create(config, first);
    let metrics: StepMetrics | undefined;
    let tensors = 0;
    const started = performance.now();
    for (let s = 0, next = first; s < run.steps; s++, next = batch(config.batchSize)) {
      metrics = await trainer.step(next);
      if (s === 0) tensors = tf.memory().numTensors;
      else if (s % 100 === 0) assert.equal(tf.memory().numTensors, tensors, `tensors leaked by step ${s + 1}`);
    }
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked");
    const elapsed = performance.now() - started;
    assert.equal(metrics!.step, run.steps);
    assert.equal(metrics!.tokens, run.steps * config.batchSize);

    const spec = await trainer.toSpec({ id: `planted-${run.name}` });
    trainer.dispose();
    const cosines = atomCosines(atoms, spec);
    const recovered = cosines.filter((c) => c > 0.9).length / ATOMS;
    const encoder = await SaeEncoder.create(spec, { reconstruction: true });
    const { features, sqError } = await encoder.encode(heldOut, 512);
    await encoder.release();
    const { fvu, perRow } = heldOutFvu(spec, heldOut, 512, features);
    const l0 = features.indices.length / 512;
    console.log(
      `${run.name}: ${run.steps} steps in ${(elapsed / 1000).toFixed(1)} s; recovered ${recovered * ATOMS}/${ATOMS} ` +
        `(min cosine ${Math.min(...cosines).toFixed(3)}); held-out FVU ${fvu.toFixed(4)}, L0 ${l0.toFixed(2)}; ` +
        `last batch FVU ${metrics!.fvu.toFixed(4)}, L0 ${metrics!.l0.toFixed(2)}`,
    );
    // The encoder's own squared errors agree with the float64 decode of its features.
    for (let r = 0; r < 512; r++) {
      assert.ok(
        Math.abs(sqError![r] - perRow[r]) <= 1e-3 * (1 + perRow[r]),
        `row ${r}: ${sqError![r]} vs ${perRow[r]}`,
      );
    }
    assert.ok(recovered >= run.minRecovered, `${run.name}: recovered ${recovered * ATOMS}/${ATOMS} atoms`);
    assert.ok(fvu < run.maxFvu, `${run.name}: held-out FVU ${fvu}`);
    assert.ok(l0 > 1 && l0 <= run.maxL0, `${run.name}: held-out L0 ${l0}`);
    assert.ok(metrics!.fvu < run.maxFvu, `${run.name}: last batch FVU ${metrics!.fvu}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Determinism, checkpoints, the spec

const SMALL_DIN = 16;
const SMALL_DSAE = 48;
const SMALL_BATCH = 64;

function smallConfig(architecture: "topk" | "jumprelu", overrides: Partial<SaeTrainingConfig> = {}) {
  return resolveTrainingConfig({
    architecture,
    dIn: SMALL_DIN,
    dSae: SMALL_DSAE,
    batchSize: SMALL_BATCH,
    totalSteps: 40,
    learningRate: 1e-2,
    warmupSteps: 5,
    decaySteps: 15,
    // AuxK active: latents silent for 3 batches are dead.
    deadAfterTokens: SMALL_BATCH * 3,
    k: 4,
    auxK: 6,
    // JumpReLU: λ still warming up across the resume point.
    l0Coefficient: 1e-2,
    l0WarmupSteps: 30,
    bandwidth: 0.05,
    initialThreshold: 0.1,
    seed: 5,
    ...overrides,
  });
}

/** Seeded batches: sparse-ish rows with a common offset, so b_dec and the scale matter. */
function smallBatches(count: number, seed = 3): Float32Array[] {
  const { batch } = plantedDictionaryOf(SMALL_DIN, seed);
  return Array.from({ length: count }, () => batch(SMALL_BATCH));
}

function plantedDictionaryOf(d: number, seed: number) {
  const gaussian = standardNormal(mulberry32(seed));
  const atoms = Float64Array.from({ length: 24 * d }, () => gaussian());
  const offset = Float64Array.from({ length: d }, () => 2 * gaussian());
  const uniform = mulberry32(seed + 1);
  const batch = (rows: number) => {
    const out = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) out[r * d + i] = offset[i] + 0.1 * gaussian();
      for (let n = 0; n < 2; n++) {
        const a = Math.floor(uniform() * 24);
        const c = 3 * uniform();
        for (let i = 0; i < d; i++) out[r * d + i] += c * atoms[a * d + i];
      }
    }
    return out;
  };
  return { batch };
}

function weightsOf(spec: SaeSpec): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(spec.weights).filter(([, t]) => typeof t === "object" && "data" in t).map(([name, t]) => [
      name,
      (t as { data: Float32Array }).data,
    ]),
  );
}

function assertBitIdentical(a: SaeSpec, b: SaeSpec, what: string) {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  assert.deepEqual(Object.keys(wa).sort(), Object.keys(wb).sort());
  for (const name of Object.keys(wa)) {
    const x = new Uint32Array(wa[name].buffer, wa[name].byteOffset, wa[name].length);
    const y = new Uint32Array(wb[name].buffer, wb[name].byteOffset, wb[name].length);
    assert.deepEqual(x, y, `${what}: ${name} differs`);
  }
  assert.deepEqual(a.normalization, b.normalization);
}

/** Each batch in turn, one awaited step at a time. */
async function steps(trainer: SaeTrainer, batches: Float32Array[]): Promise<StepMetrics[]> {
  const metrics: StepMetrics[] = [];
  for (const batch of batches) metrics.push(await trainer.step(batch));
  return metrics;
}

async function train(
  config: SaeTrainingConfig,
  batches: Float32Array[],
): Promise<{ spec: SaeSpec; metrics: StepMetrics[] }> {
  const trainer = SaeTrainer.create(config, batches[0]);
  const metrics = await steps(trainer, batches);
  const spec = await trainer.toSpec({ id: "t" });
  trainer.dispose();
  return { spec, metrics };
}

for (const architecture of ["topk", "jumprelu"] as const) {
  Deno.test(`SaeTrainer (${architecture}): the same seed and data give the same bits; another seed differs`, async () => {
    const batches = smallBatches(50);
    const config = smallConfig(architecture, { totalSteps: 50 });
    const a = await train(config, batches);
    const b = await train(config, batches);
    assertBitIdentical(a.spec, b.spec, "same seed");
    assert.deepEqual(a.metrics, b.metrics);
    const c = await train(smallConfig(architecture, { totalSteps: 50, seed: 6 }), batches);
    const wa = weightsOf(a.spec).W_dec;
    const wc = weightsOf(c.spec).W_dec;
    assert.ok(wa.some((v, i) => v !== wc[i]), "another seed gave the same decoder");
    // The loss went down and the run was not degenerate.
    assert.ok(a.metrics.at(-1)!.fvu < a.metrics[0].fvu, `FVU ${a.metrics[0].fvu} → ${a.metrics.at(-1)!.fvu}`);
    if (architecture === "topk") assert.ok(a.metrics.some((m) => m.penalty > 0), "AuxK never active");
  });

  Deno.test(`SaeTrainer (${architecture}): checkpoint at step 20 and resume = 40 straight steps, bit for bit`, async () => {
    await using dir = await tempDir();
    const config = smallConfig(architecture);
    const batches = smallBatches(40);
    const straight = await train(config, batches);

    const path = `${dir.path}/checkpoint.safetensors`;
    const before = tf.memory().numTensors;
    const first = SaeTrainer.create(config, batches[0]);
    const firstMetrics = await steps(first, batches.slice(0, 20));
    await first.saveCheckpoint(path);
    first.dispose();
    const resumed = await SaeTrainer.resume(path, config);
    assert.equal(resumed.steps, 20);
    assert.equal(resumed.tokens, 20 * SMALL_BATCH);
    const laterMetrics = await steps(resumed, batches.slice(20));
    const spec = await resumed.toSpec({ id: "t" });
    resumed.dispose();
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assertBitIdentical(spec, straight.spec, "resumed");
    assert.deepEqual([...firstMetrics, ...laterMetrics], straight.metrics);
    if (architecture === "topk") {
      // The dead-latent state crossed the checkpoint: AuxK was active after the resume.
      assert.ok(laterMetrics.some((m) => m.penalty > 0 && m.deadFraction > 0), "no dead latents after resume");
    }

    // Another run's config is refused, naming what differs.
    await assert.rejects(
      SaeTrainer.resume(path, smallConfig(architecture, { learningRate: 2e-2 })),
      (e: unknown) => e instanceof ConfigError && /learningRate/.test(e.message) && !/seed/.test(e.message),
    );
    await assert.rejects(
      SaeTrainer.resume(path, smallConfig(architecture, { seed: 9, bandwidth: 0.07 })),
      (e: unknown) => e instanceof ConfigError && /seed/.test(e.message) && /bandwidth/.test(e.message),
    );
  });

  Deno.test(`SaeTrainer (${architecture}): toSpec encodes through SaeEncoder with a naive encode's active sets`, async () => {
    const batches = smallBatches(41, 17);
    const config = smallConfig(architecture);
    const { spec } = await train(config, batches.slice(0, 40));
    assert.equal(spec.architecture, architecture);
    assert.equal(spec.dIn, SMALL_DIN);
    assert.equal(spec.dSae, SMALL_DSAE);
    assert.equal(spec.applyBDecToInput, architecture === "topk");
    assert.equal(spec.normalization.kind, "scale");
    if (architecture === "topk") assert.equal(spec.k, 4);
    const w = weightsOf(spec);
    if (architecture === "jumprelu") assert.ok(w.threshold.every((t) => t > 0));

    const x = batches[40].subarray(0, 8 * SMALL_DIN);
    const rows = 8;
    const encoder = await SaeEncoder.create(spec);
    const { features } = await encoder.encode(x, rows);
    await encoder.release();
    const scale = (spec.normalization as { factor: number }).factor;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const pre = new Float64Array(SMALL_DSAE);
      for (let j = 0; j < SMALL_DSAE; j++) {
        let s = w.b_enc[j];
        for (let i = 0; i < SMALL_DIN; i++) {
          const input = x[r * SMALL_DIN + i] * scale - (spec.applyBDecToInput ? w.b_dec[i] : 0);
          s += input * w.W_enc[i * SMALL_DSAE + j];
        }
        pre[j] = s;
      }
      let expected: number[];
      let cutoff: (j: number) => number;
      if (architecture === "topk") {
        const order = Array.from({ length: SMALL_DSAE }, (_, j) => j).sort((a, b) => pre[b] - pre[a]);
        expected = order.slice(0, 4).filter((j) => pre[j] > 0).sort((a, b) => a - b);
        const between = (pre[order[3]] + pre[order[4]]) / 2;
        cutoff = (j) => Math.abs(pre[j]) < Math.abs(pre[j] - between) ? 0 : between;
      } else {
        expected = Array.from({ length: SMALL_DSAE }, (_, j) => j).filter((j) => pre[j] > w.threshold[j]);
        cutoff = (j) => w.threshold[j];
      }
      const actual = Array.from(features.indices.subarray(features.rowPtr[r], features.rowPtr[r + 1]));
      // Only a pre-activation within float32 rounding of its cutoff may land on the other side.
      const differ = [...actual.filter((j) => !expected.includes(j)), ...expected.filter((j) => !actual.includes(j))];
      for (const j of differ) {
        assert.ok(
          Math.abs(pre[j] - cutoff(j)) < 1e-4,
          `row ${r}: feature ${j} (pre ${pre[j]}) ${actual} vs ${expected}`,
        );
      }
      const values = features.values.subarray(features.rowPtr[r], features.rowPtr[r + 1]);
      actual.forEach((j, e) => assert.ok(Math.abs(values[e] - pre[j]) < 1e-4 * (1 + Math.abs(pre[j]))));
      total += expected.length;
    }
    assert.ok(total >= rows, `only ${total} active features over ${rows} rows`);
  });
}

Deno.test("SaeTrainer on wasm refuses, before allocating, a run that cannot fit tfjs-wasm's 4 GiB heap", () => {
  const config = resolveTrainingConfig({
    architecture: "topk",
    dIn: 2304,
    dSae: 36_864,
    totalSteps: 1,
    batchSize: 256,
  });
  const sample = new Float32Array(256 * 2304).fill(1);
  const before = tf.memory().numTensors;
  assert.throws(() => SaeTrainer.create(config, sample), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /2304 × 36864 latents at batch 256 needs about 4\.\d GiB .* webgpu or tensorflow backend/);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, "nothing allocated");
});
