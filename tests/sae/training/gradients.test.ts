/**
 * The trainer's gradients against an independent float64 reference written here: TopK (with and without `b_dec`
 * subtracted from the input, with and without dead latents and AuxK) and JumpReLU (encoder, decoder and biases)
 * against central finite differences of a naive plain-JS loss, at points where every pre-activation keeps a margin
 * from the TopK boundary, from 0 and from its threshold (so the loss is locally a polynomial and the central
 * difference is exact up to rounding). JumpReLU's log-threshold gradient is a straight-through pseudo-derivative: it
 * is checked against the hand-written formula of Rajamanoharan et al. (2024, eq. 11–12), and its L0 part against
 * the finite difference of the rectangle-smoothed step it is the exact derivative of. Plus the custom gradients of
 * `jumpRelu` / `heaviside` alone, and the decoder-row projection and normalisation.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { heaviside, jumpRelu, jumpReluLoss, startTfjsBackend, topkLoss } from "@saeflow/sae";
import type { LossContext, LossTerms } from "@saeflow/sae";
import { unitRows, withoutParallelComponent } from "../../../modules/sae/training/sae_params.ts";
import { mulberry32, standardNormal } from "../../random.ts";

await startTfjsBackend("wasm");

const D_IN = 5;
const D_SAE = 7;
const ROWS = 6;
/** Distance every pre-activation keeps from a selection boundary, 0 or its threshold. */
const MARGIN = 1e-3;
/** Central-difference step (the losses are polynomial in one parameter near the point: the step barely matters). */
const H = 1e-5;

type Params = Record<string, Float64Array>;

const SHAPES: Record<string, [number, number] | [number]> = {
  W_enc: [D_IN, D_SAE],
  b_enc: [D_SAE],
  W_dec: [D_SAE, D_IN],
  b_dec: [D_IN],
  log_threshold: [D_SAE],
};

/** Float32-representable float64 values, so that tfjs and the reference see the very same point. */
function draw(gaussian: () => number, n: number, scale: number, offset = 0): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(offset + scale * gaussian()));
}

function tensors(p: Params, names: string[]): tf.Tensor[] {
  return names.map((name) => tf.tensor(Float32Array.from(p[name]), SHAPES[name]));
}

function disposeTerms(t: LossTerms): void {
  tf.dispose([t.sqError, t.active, t.fired, t.penalty]);
}

/** `Σ‖x − x̄‖²` in float64. */
function totalVariance(x: Float64Array): number {
  let total = 0;
  for (let i = 0; i < D_IN; i++) {
    let mean = 0;
    for (let r = 0; r < ROWS; r++) mean += x[r * D_IN + i] / ROWS;
    for (let r = 0; r < ROWS; r++) total += (x[r * D_IN + i] - mean) ** 2;
  }
  return total;
}

/** `[rows, dSae]` pre-activations `(x − b_dec?) W_enc + b_enc`, float64. */
function preActivations(p: Params, x: Float64Array, applyBDecToInput: boolean): Float64Array {
  const pre = new Float64Array(ROWS * D_SAE);
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) {
      let s = p.b_enc[j];
      for (let i = 0; i < D_IN; i++) {
        s += (x[r * D_IN + i] - (applyBDecToInput ? p.b_dec[i] : 0)) * p.W_enc[i * D_SAE + j];
      }
      pre[r * D_SAE + j] = s;
    }
  }
  return pre;
}

/** `z W_dec (+ b_dec)`, float64. */
function decode(p: Params, z: Float64Array, withBias: boolean): Float64Array {
  const out = new Float64Array(ROWS * D_IN);
  for (let r = 0; r < ROWS; r++) {
    for (let i = 0; i < D_IN; i++) {
      let s = withBias ? p.b_dec[i] : 0;
      for (let j = 0; j < D_SAE; j++) s += z[r * D_SAE + j] * p.W_dec[j * D_IN + i];
      out[r * D_IN + i] = s;
    }
  }
  return out;
}

/** The indices of the `count` largest of `values` among `allowed`, by sorting. */
function largest(values: number[], allowed: number[], count: number): number[] {
  return [...allowed].sort((a, b) => values[b] - values[a]).slice(0, count);
}

/** Each row's pre-activations. */
function rowOf(pre: Float64Array, r: number): number[] {
  return Array.from(pre.subarray(r * D_SAE, (r + 1) * D_SAE));
}

// ---------------------------------------------------------------------------------------------------------------
// TopK

interface TopkCase {
  name: string;
  applyBDecToInput: boolean;
  /** Dead latents (AuxK targets), or none. */
  dead?: number[];
  auxK: number;
  auxCoefficient: number;
}

const K = 2;

/** The TopK model in float64: the reconstruction error `x − x̂` and the main term `Σ‖x − x̂‖² / TV`. */
function naiveTopk(p: Params, x: Float64Array, c: TopkCase, tv: number) {
  const pre = preActivations(p, x, c.applyBDecToInput);
  const z = new Float64Array(ROWS * D_SAE);
  const all = Array.from({ length: D_SAE }, (_, j) => j);
  for (let r = 0; r < ROWS; r++) {
    for (const j of largest(rowOf(pre, r), all, K)) z[r * D_SAE + j] = Math.max(0, pre[r * D_SAE + j]);
  }
  const xHat = decode(p, z, true);
  const residual = x.map((v, i) => v - xHat[i]);
  let main = 0;
  for (const e of residual) main += e * e;
  return { pre, residual, main: main / tv };
}

/**
 * AuxK in float64 with the residual given (frozen): the top `min(auxK, dead)` dead pre-activations, ReLU'd, decode
 * (no `b_dec`) the residual; weighted by `auxCoefficient · min(dead / auxK, 1)`.
 */
function naiveAux(p: Params, x: Float64Array, c: TopkCase, tv: number, residual: Float64Array): number {
  if (!c.dead || c.dead.length === 0 || c.auxCoefficient === 0) return 0;
  const pre = preActivations(p, x, c.applyBDecToInput);
  const count = Math.min(c.auxK, c.dead.length);
  const z = new Float64Array(ROWS * D_SAE);
  for (let r = 0; r < ROWS; r++) {
    for (const j of largest(rowOf(pre, r), c.dead, count)) z[r * D_SAE + j] = Math.max(0, pre[r * D_SAE + j]);
  }
  const eHat = decode(p, z, false);
  let sum = 0;
  for (let i = 0; i < eHat.length; i++) sum += (eHat[i] - residual[i]) ** 2;
  return c.auxCoefficient * Math.min(c.dead.length / c.auxK, 1) * sum / tv;
}

/** Whether every pre-activation keeps MARGIN from 0 and from the TopK and AuxK selection boundaries. */
function topkSmooth(pre: Float64Array, c: TopkCase): boolean {
  for (let r = 0; r < ROWS; r++) {
    const row = rowOf(pre, r);
    if (row.some((v) => Math.abs(v) < MARGIN)) return false;
    const sorted = [...row].sort((a, b) => b - a);
    if (sorted[K - 1] - sorted[K] < MARGIN) return false;
    if (c.dead && c.dead.length > Math.min(c.auxK, c.dead.length)) {
      const dead = c.dead.map((j) => row[j]).sort((a, b) => b - a);
      const a = Math.min(c.auxK, c.dead.length);
      if (dead[a - 1] - dead[a] < MARGIN) return false;
    }
  }
  return true;
}

/** SAE parameters (JumpReLU log-thresholds too, when asked) and rows drawn from `gaussian`. */
function drawPoint(gaussian: () => number, encoderScale: number, thresholds = false): { p: Params; x: Float64Array } {
  const p: Params = {
    W_enc: draw(gaussian, D_IN * D_SAE, encoderScale),
    b_enc: draw(gaussian, D_SAE, 0.2),
    W_dec: draw(gaussian, D_SAE * D_IN, 0.6),
    b_dec: draw(gaussian, D_IN, 0.3),
    ...(thresholds && { log_threshold: draw(gaussian, D_SAE, 0.3, Math.log(0.3)) }),
  };
  return { p, x: draw(gaussian, ROWS * D_IN, 1) };
}

/** A seeded point, redrawn (at most 1000 times) until `smooth` accepts it. */
function smoothPoint(
  seed: number,
  drawOne: (gaussian: () => number) => { p: Params; x: Float64Array },
  smooth: (point: { p: Params; x: Float64Array }) => boolean,
): { p: Params; x: Float64Array } {
  const gaussian = standardNormal(mulberry32(seed));
  for (let draws = 0; draws < 1000; draws++) {
    const point = drawOne(gaussian);
    if (smooth(point)) return point;
  }
  throw new Error("no smooth point found in 1000 draws");
}

/** A point where the TopK loss is smooth (no pre-activation near 0 or a selection boundary). */
const smoothTopkPoint = (seed: number, c: TopkCase) =>
  smoothPoint(seed, (g) => drawPoint(g, 0.6), ({ p, x }) => topkSmooth(preActivations(p, x, c.applyBDecToInput), c));

/** Asserts `actual ≈ expected` entry by entry: |a − e| ≤ atol + rtol·|e|. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-3) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = atol + rtol * Math.abs(expected[i]);
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${what}[${i}]: ${actual[i]} vs reference ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}

/** Central differences of `f` in every entry of the named parameters. */
function finiteDifferences(p: Params, names: string[], f: (q: Params) => number, h = H): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const name of names) {
    const g = new Float64Array(p[name].length);
    for (let i = 0; i < g.length; i++) {
      const original = p[name][i];
      p[name][i] = original + h;
      const plus = f(p);
      p[name][i] = original - h;
      const minus = f(p);
      p[name][i] = original;
      g[i] = (plus - minus) / (2 * h);
    }
    out[name] = g;
  }
  return out;
}

function norm(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v * v;
  return Math.sqrt(s);
}

const TOPK_CASES: TopkCase[] = [
  { name: "b_dec subtracted, no dead latents", applyBDecToInput: true, auxK: 2, auxCoefficient: 0.5 },
  { name: "b_dec not subtracted, no dead latents", applyBDecToInput: false, auxK: 2, auxCoefficient: 0.5 },
  {
    name: "b_dec subtracted, 4 dead latents, auxK 2 (weight 1)",
    applyBDecToInput: true,
    dead: [1, 3, 4, 6],
    auxK: 2,
    auxCoefficient: 0.5,
  },
  {
    name: "b_dec not subtracted, 4 dead latents, auxK 3 (weight 1)",
    applyBDecToInput: false,
    dead: [0, 2, 5, 6],
    auxK: 3,
    auxCoefficient: 0.5,
  },
  {
    name: "b_dec subtracted, 1 dead latent, auxK 2 (weight 1/2, one recruited)",
    applyBDecToInput: true,
    dead: [3],
    auxK: 2,
    auxCoefficient: 0.7,
  },
  {
    name: "b_dec not subtracted, 3 dead latents, auxK 4 (weight 3/4, all recruited)",
    applyBDecToInput: false,
    dead: [1, 2, 5],
    auxK: 4,
    auxCoefficient: 1 / 32,
  },
];

for (const [index, c] of TOPK_CASES.entries()) {
  Deno.test(`topkLoss gradients match float64 finite differences: ${c.name}`, () => {
    const { p, x } = smoothTopkPoint(100 + index, c);
    const tv = totalVariance(x);
    const names = ["W_enc", "b_enc", "W_dec", "b_dec"];

    // tfjs
    const before = tf.memory().numTensors;
    const xt = tf.tensor2d(Float32Array.from(x), [ROWS, D_IN]);
    const tvt = tf.scalar(tv);
    const mask = c.dead
      ? tf.tensor1d(Float32Array.from({ length: D_SAE }, (_, j) => c.dead!.includes(j) ? 1 : 0))
      : undefined;
    const context: LossContext = {
      totalVariance: tvt,
      ...(mask && { dead: { mask, count: c.dead!.length } }),
      l0Coefficient: 0,
    };
    const options = { k: K, auxK: c.auxK, auxCoefficient: c.auxCoefficient, applyBDecToInput: c.applyBDecToInput };
    const params = tensors(p, names);
    let terms: LossTerms | undefined;
    const { value, grads } = tf.valueAndGrads((...v: tf.Tensor[]) => {
      terms = topkLoss(Object.fromEntries(names.map((n, i) => [n, v[i]])), xt, options, context);
      return terms.loss;
    })(params);
    const loss = value.dataSync()[0];
    const penalty = terms!.penalty.dataSync()[0];
    const tfGrads = Object.fromEntries(names.map((n, i) => [n, Float64Array.from(grads[i].dataSync())]));
    disposeTerms(terms!);
    tf.dispose([value, ...grads, ...params, xt, tvt, ...(mask ? [mask] : [])]);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");

    // float64 reference: the main term differenced normally, AuxK with the residual frozen at this point.
    const here = naiveTopk(p, x, c, tv);
    const aux = naiveAux(p, x, c, tv, here.residual);
    assert.ok(Math.abs(loss - (here.main + aux)) <= 1e-5 * (1 + here.main + aux), `loss ${loss} vs ${here.main + aux}`);
    assert.ok(Math.abs(penalty - aux) <= 1e-5 * (1 + aux), `penalty ${penalty} vs ${aux}`);
    const mainFd = finiteDifferences(p, names, (q) => naiveTopk(q, x, c, tv).main);
    const auxFd = finiteDifferences(p, names, (q) => naiveAux(q, x, c, tv, here.residual));
    if (c.dead) {
      // Not vacuous: AuxK moves the gradient, by more than the tolerance.
      assert.ok(aux > 1e-3, `AuxK term ${aux}`);
      assert.ok(norm(names.flatMap((n) => [...auxFd[n]])) > 0.05, "AuxK contributes no gradient");
    } else {
      assert.equal(penalty, 0);
    }
    for (const name of names) {
      const expected = mainFd[name].map((g, i) => g + auxFd[name][i]);
      assertClose(tfGrads[name], expected, `${c.name}: d/d${name}`);
    }
  });
}

Deno.test("topkLoss: with the residual not detached, the AuxK gradient would differ (the reference tells them apart)", () => {
  // Guards the test above against a reference that cannot see the detach: differencing AuxK with a live residual
  // gives another gradient at the same point.
  const c = TOPK_CASES[2];
  const { p, x } = smoothTopkPoint(102, c);
  const tv = totalVariance(x);
  const frozen = naiveTopk(p, x, c, tv).residual;
  const names = ["W_enc", "W_dec", "b_dec"];
  const detached = finiteDifferences(p, names, (q) => naiveAux(q, x, c, tv, frozen));
  const live = finiteDifferences(p, names, (q) => naiveAux(q, x, c, tv, naiveTopk(q, x, c, tv).residual));
  const difference = norm(names.flatMap((n) => Array.from(detached[n], (g, i) => g - live[n][i])));
  assert.ok(difference > 1e-2, `detached and live AuxK gradients differ by only ${difference}`);
});

// ---------------------------------------------------------------------------------------------------------------
// JumpReLU

const EPSILON = 0.5;
const LAMBDA = 0.3;

interface JumpCase {
  name: string;
  applyBDecToInput: boolean;
}

/** `mean‖x − x̂‖²` and `λ·mean L0` in float64. */
function naiveJump(p: Params, x: Float64Array, applyBDecToInput: boolean) {
  const pre = preActivations(p, x, applyBDecToInput);
  const f = new Float64Array(ROWS * D_SAE);
  let active = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) {
      const v = pre[r * D_SAE + j];
      if (v > Math.exp(p.log_threshold[j])) f[r * D_SAE + j] = v, active++;
    }
  }
  const xHat = decode(p, f, true);
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i] - xHat[i]) ** 2;
  return { pre, f, xHat, active, reconstruction: sq / ROWS, l0: LAMBDA * active / ROWS };
}

/** Rajamanoharan et al. (2024) eq. 11–12, by hand: d loss / d log θ, in float64. */
function pseudoLogThresholdGradient(p: Params, x: Float64Array, applyBDecToInput: boolean) {
  const { pre, xHat } = naiveJump(p, x, applyBDecToInput);
  const reconstruction = new Float64Array(D_SAE);
  const l0 = new Float64Array(D_SAE);
  let inWindow = 0;
  for (let j = 0; j < D_SAE; j++) {
    const theta = Math.exp(p.log_threshold[j]);
    for (let r = 0; r < ROWS; r++) {
      const kernel = Math.abs((pre[r * D_SAE + j] - theta) / EPSILON) < 0.5 ? 1 : 0;
      if (kernel === 0) continue;
      inWindow++;
      // ∂loss/∂f[r, j] = (2/rows) Σ_d (x̂ − x)[r, d] W_dec[j, d]
      let dLossDf = 0;
      for (let d = 0; d < D_IN; d++) dLossDf += 2 * (xHat[r * D_IN + d] - x[r * D_IN + d]) * p.W_dec[j * D_IN + d];
      dLossDf /= ROWS;
      // ∂f/∂θ = −(θ/ε) K, and ∂θ/∂ log θ = θ.
      reconstruction[j] += dLossDf * -(theta / EPSILON) * kernel * theta;
      // ∂(λ/rows · H)/∂θ = −(λ/rows)(1/ε) K.
      l0[j] += (LAMBDA / ROWS) * -(1 / EPSILON) * kernel * theta;
    }
  }
  return { reconstruction, l0, inWindow };
}

/** `λ/rows · Σ clip((pre − θ)/ε + 1/2, 0, 1)`: the smoothed L0 whose derivative the pseudo-derivative is. */
function smoothedL0(pre: Float64Array, logThreshold: Float64Array): number {
  let s = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) {
      s += Math.min(1, Math.max(0, (pre[r * D_SAE + j] - Math.exp(logThreshold[j])) / EPSILON + 0.5));
    }
  }
  return LAMBDA * s / ROWS;
}

/** Pre-activations inside the kernel window, `|pre − θ| < ε/2`. */
function inWindow(pre: Float64Array, logThreshold: Float64Array): number {
  let count = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) if (Math.abs(pre[r * D_SAE + j] - Math.exp(logThreshold[j])) < EPSILON / 2) count++;
  }
  return count;
}

/**
 * Margins: no pre within MARGIN of its θ, nor of the rectangle's edges θ ± ε/2; and at least 8 pre-activations inside
 * the window (so that the log θ gradient is not vacuous).
 */
function jumpSmooth(pre: Float64Array, logThreshold: Float64Array): boolean {
  if (inWindow(pre, logThreshold) < 8) return false;
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) {
      const gap = pre[r * D_SAE + j] - Math.exp(logThreshold[j]);
      if (Math.abs(gap) < MARGIN || Math.abs(Math.abs(gap) - EPSILON / 2) < MARGIN) return false;
    }
  }
  return true;
}

const jumpPoint = (seed: number, applyBDecToInput: boolean) =>
  smoothPoint(
    seed,
    (g) => drawPoint(g, 0.35, true),
    ({ p, x }) => jumpSmooth(preActivations(p, x, applyBDecToInput), p.log_threshold),
  );

const JUMP_CASES: JumpCase[] = [
  { name: "b_dec not subtracted", applyBDecToInput: false },
  { name: "b_dec subtracted", applyBDecToInput: true },
];

for (const [index, c] of JUMP_CASES.entries()) {
  Deno.test(`jumpReluLoss gradients: finite differences for weights, eq. 11–12 for log θ: ${c.name}`, () => {
    const { p, x } = jumpPoint(200 + index, c.applyBDecToInput);
    const names = ["W_enc", "b_enc", "W_dec", "b_dec", "log_threshold"];
    const before = tf.memory().numTensors;
    const xt = tf.tensor2d(Float32Array.from(x), [ROWS, D_IN]);
    const tvt = tf.scalar(1);
    const context: LossContext = { totalVariance: tvt, l0Coefficient: LAMBDA };
    const options = { bandwidth: EPSILON, applyBDecToInput: c.applyBDecToInput };
    const params = tensors(p, names);
    const run = (pick: (t: LossTerms) => tf.Scalar, wrt: string[]) => {
      let terms: LossTerms | undefined;
      const { value, grads } = tf.valueAndGrads((...v: tf.Tensor[]) => {
        const all = Object.fromEntries(names.map((n, i) => [n, params[i]]));
        for (const [i, n] of wrt.entries()) all[n] = v[i];
        terms = jumpReluLoss(all, xt, options, context);
        return pick(terms);
      })(wrt.map((n) => params[names.indexOf(n)]));
      const out = {
        value: value.dataSync()[0],
        grads: Object.fromEntries(wrt.map((n, i) => [n, Float64Array.from(grads[i].dataSync())])),
        penalty: terms!.penalty.dataSync()[0],
        active: terms!.active.dataSync()[0],
      };
      disposeTerms(terms!);
      tf.dispose([value, ...grads]);
      return out;
    };
    const whole = run((t) => t.loss, names);
    // The L0 term alone, in what it depends on (W_dec, and b_dec unless subtracted, are not on its path).
    const l0Names = ["W_enc", "b_enc", ...(c.applyBDecToInput ? ["b_dec"] : []), "log_threshold"];
    const l0Only = run((t) => t.penalty, l0Names);
    tf.dispose([...params, xt, tvt]);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");

    const here = naiveJump(p, x, c.applyBDecToInput);
    assert.ok(Math.abs(whole.value - (here.reconstruction + here.l0)) < 1e-5 * (1 + whole.value));
    assert.ok(Math.abs(whole.penalty - here.l0) < 1e-6);
    assert.equal(whole.active, here.active);

    // Weights and biases: the loss is differentiable here (the L0 term is locally constant).
    const weights = ["W_enc", "b_enc", "W_dec", "b_dec"];
    const fd = finiteDifferences(p, weights, (q) => {
      const n = naiveJump(q, x, c.applyBDecToInput);
      return n.reconstruction + n.l0;
    });
    for (const name of weights) assertClose(whole.grads[name], fd[name], `${c.name}: d/d${name}`);
    for (const name of l0Names.slice(0, -1)) {
      assert.ok(l0Only.grads[name].every((g) => g === 0), `L0 term moves ${name}`);
    }

    // log θ: the straight-through pseudo-derivative, by hand.
    const pseudo = pseudoLogThresholdGradient(p, x, c.applyBDecToInput);
    assert.ok(pseudo.inWindow >= 8, `only ${pseudo.inWindow} pre-activations inside the kernel window`);
    assert.ok(norm(pseudo.reconstruction) > 1e-2 && norm(pseudo.l0) > 1e-2, "vacuous log θ gradient");
    const expected = pseudo.reconstruction.map((g, j) => g + pseudo.l0[j]);
    assertClose(whole.grads.log_threshold, expected, `${c.name}: d/d log θ`);
    assertClose(l0Only.grads.log_threshold, pseudo.l0, `${c.name}: d(λ L0)/d log θ`);
    // The actual loss is flat in log θ here (no pre crosses a threshold): the pseudo-derivative is not its FD.
    const flat = finiteDifferences(p, ["log_threshold"], (q) => {
      const n = naiveJump(q, x, c.applyBDecToInput);
      return n.reconstruction + n.l0;
    });
    assert.ok(flat.log_threshold.every((g) => g === 0));

    // Exact identity: the L0 pseudo-derivative is the derivative (in log θ) of the rectangle-smoothed step.
    const smoothFd = finiteDifferences(p, ["log_threshold"], (q) => smoothedL0(here.pre, q.log_threshold), 1e-6);
    assertClose(pseudo.l0, smoothFd.log_threshold, `${c.name}: smoothed L0 identity (float64)`, 1e-7, 1e-6);
    assertClose(l0Only.grads.log_threshold, smoothFd.log_threshold, `${c.name}: smoothed L0 identity (tfjs)`);
  });
}

Deno.test("jumpRelu and heaviside alone: no gradient to pre through the step; jumpRelu passes it where gated", () => {
  const gaussian = standardNormal(mulberry32(300));
  const pre = draw(gaussian, ROWS * D_SAE, 1);
  const logThreshold = draw(gaussian, D_SAE, 0.5, Math.log(0.2));
  const weights = draw(gaussian, ROWS * D_SAE, 1);
  const before = tf.memory().numTensors;
  const [pt, lt, wt] = [
    tf.tensor2d(Float32Array.from(pre), [ROWS, D_SAE]),
    tf.tensor1d(Float32Array.from(logThreshold)),
    tf.tensor2d(Float32Array.from(weights), [ROWS, D_SAE]),
  ];
  const gate = pre.map((v, i) => v > Math.exp(logThreshold[i % D_SAE]) ? 1 : 0);
  assert.ok(gate.some((g) => g === 1) && gate.some((g) => g === 0), "gate is all one value");

  const [hPre, hLt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => heaviside(0.3)(a, b).mul(wt).sum())([pt, lt]);
  assert.ok(Array.from(hPre.dataSync()).every((g) => g === 0), "heaviside passes a gradient to pre");
  const [jPre, jLt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => jumpRelu(0.3)(a, b).mul(wt).sum())([pt, lt]);
  assertClose(jPre.dataSync(), weights.map((w, i) => w * gate[i]), "d jumpRelu / d pre", 1e-7, 1e-6);

  // Forward values and the log θ pseudo-derivatives of both.
  const hValue = heaviside(0.3)(pt, lt);
  const jValue = jumpRelu(0.3)(pt, lt);
  assert.deepEqual(Array.from(hValue.dataSync()), Array.from(gate));
  assertClose(jValue.dataSync(), pre.map((v, i) => v * gate[i]), "jumpRelu value", 1e-7, 1e-6);
  const hExpected = new Float64Array(D_SAE);
  const jExpected = new Float64Array(D_SAE);
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < D_SAE; j++) {
      const theta = Math.exp(logThreshold[j]);
      const kernel = Math.abs((pre[r * D_SAE + j] - theta) / 0.3) < 0.5 ? 1 : 0;
      hExpected[j] += weights[r * D_SAE + j] * -(1 / 0.3) * kernel * theta;
      jExpected[j] += weights[r * D_SAE + j] * -(theta / 0.3) * kernel * theta;
    }
  }
  assertClose(hLt.dataSync(), hExpected, "d heaviside / d log θ", 1e-5, 1e-4);
  assertClose(jLt.dataSync(), jExpected, "d jumpRelu / d log θ", 1e-5, 1e-4);
  tf.dispose([pt, lt, wt, hPre, hLt, jPre, jLt, hValue, jValue]);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("unitRows and withoutParallelComponent: unit decoder rows, gradients orthogonal to them", () => {
  const gaussian = standardNormal(mulberry32(400));
  const w = draw(gaussian, D_SAE * D_IN, 2);
  const g = draw(gaussian, D_SAE * D_IN, 1);
  const before = tf.memory().numTensors;
  const wt = tf.tensor2d(Float32Array.from(w), [D_SAE, D_IN]);
  const gt = tf.tensor2d(Float32Array.from(g), [D_SAE, D_IN]);
  const unit = unitRows(wt);
  const projected = withoutParallelComponent(gt, unit);
  const u = Float64Array.from(unit.dataSync());
  const out = Float64Array.from(projected.dataSync());
  tf.dispose([wt, gt, unit, projected]);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
  for (let j = 0; j < D_SAE; j++) {
    const row = (a: Float64Array) => a.subarray(j * D_IN, (j + 1) * D_IN);
    assert.ok(Math.abs(norm(row(u)) - 1) < 1e-6, `row ${j} norm ${norm(row(u))}`);
    // Same direction as the input row.
    const scale = norm(row(w));
    assertClose(row(u), row(w).map((v) => v / scale), `unit row ${j}`, 1e-6, 1e-6);
    let dot = 0;
    for (let i = 0; i < D_IN; i++) dot += row(out)[i] * row(u)[i];
    assert.ok(Math.abs(dot) < 1e-6, `projected gradient · row ${j} = ${dot}`);
    let gw = 0;
    for (let i = 0; i < D_IN; i++) gw += row(g)[i] * row(u)[i];
    assertClose(row(out), row(g).map((v, i) => v - gw * row(u)[i]), `projected row ${j}`, 1e-6, 1e-5);
    assert.ok(Math.abs(gw) > 1e-3, "vacuous: the gradient row was already orthogonal");
  }
});
