/**
 * An independent, plain-loop float64 SAE for tests: encode (normalization, optional `b_dec` subtraction, pre-activations,
 * gate) and decode (reconstruction in input space), written from the SAELens / Gemma Scope / sparsify definitions
 * rather than from the ONNX graph:
 *
 * - SAELens `run_time_activation_norm_fn_in/out`: `constant_norm_rescale` multiplies by `sqrt(d_in) / ||x||` and
 *   divides by it on the way out; `layer_norm` is `(x - mu) / (std + 1e-5)` with torch's unbiased std, undone as
 *   `x * std + mu` (the stored std, without the epsilon).
 * - `process_sae_in`: normalize, then subtract `b_dec` when `apply_b_dec_to_input`.
 * - JumpReLU: `relu(pre) * (pre > threshold)`; standard: `relu(pre)`; SAELens TopK: `relu` of the top k of `pre`;
 *   sparsify: the top k of `relu(pre)`. Ties go to the lower feature index (ONNX TopK's documented tie-break).
 * - decode: `f @ W_dec + b_dec`, then the inverse normalization.
 *
 * It reads in-memory tensors (`data`) only.
 */
import type { SaeSpec, SaeTensor } from "../../../modules/sae/sae_spec.ts";

/** Everything the reference computes for one batch of rows. */
export interface NaiveSaeOutput {
  /** `[rows][dSae]`: pre-activations `x' @ W_enc + b_enc`. */
  pre: Float64Array[];
  /** `[rows][dSae]`: dense feature activations (zero where inactive). */
  features: Float64Array[];
  /** `[rows][dIn]`: reconstructions in input space. */
  reconstruction: Float64Array[];
  /** `[rows]`: `||x - reconstruction||²`. */
  sqError: Float64Array;
}

function data(name: string, t: SaeTensor | undefined): Float32Array {
  if (!t) throw new Error(`naive SAE: no ${name}`);
  if (!("data" in t)) throw new Error(`naive SAE: ${name} is stored on disk; the reference reads in-memory tensors`);
  return t.data;
}

/** Top `k` positions of `v`, largest first, ties to the lower index. */
export function naiveTopK(v: Float64Array, k: number): number[] {
  const order = Array.from(v.keys());
  order.sort((a, b) => v[b] - v[a] || a - b);
  return order.slice(0, k);
}

/** Runs the SAE on `rows` rows of `x` (`[rows, dIn]`, row-major). */
export function naiveSae(spec: SaeSpec, x: Float32Array, rows: number): NaiveSaeOutput {
  const { dIn, dSae, weights } = spec;
  const wEnc = data("W_enc", weights.W_enc);
  const bEnc = data("b_enc", weights.b_enc);
  const bDec = data("b_dec", weights.b_dec);
  const threshold = spec.architecture === "jumprelu" ? data("threshold", weights.threshold) : undefined;
  const wDec = weights.W_dec ? data("W_dec", weights.W_dec) : undefined;
  const enc = (i: number, j: number) => weights.encoderTransposed ? wEnc[j * dIn + i] : wEnc[i * dSae + j];

  const out: NaiveSaeOutput = { pre: [], features: [], reconstruction: [], sqError: new Float64Array(rows) };
  for (let r = 0; r < rows; r++) {
    const raw = Float64Array.from(x.subarray(r * dIn, (r + 1) * dIn));

    // Normalization, remembering what undoes it.
    let normalized: Float64Array;
    let denormalize: (y: number) => number;
    const n = spec.normalization;
    if (n.kind === "none") {
      normalized = raw.slice();
      denormalize = (y) => y;
    } else if (n.kind === "scale") {
      normalized = raw.map((v) => v * n.factor);
      denormalize = (y) => y / n.factor;
    } else if (n.kind === "constant_norm_rescale") {
      let sumSquares = 0;
      for (const v of raw) sumSquares += v * v;
      const coefficient = Math.sqrt(dIn) / Math.sqrt(sumSquares);
      normalized = raw.map((v) => v * coefficient);
      denormalize = (y) => y / coefficient;
    } else {
      let mean = 0;
      for (const v of raw) mean += v;
      mean /= dIn;
      let sumSquares = 0;
      for (const v of raw) sumSquares += (v - mean) ** 2;
      const std = Math.sqrt(sumSquares / (dIn - 1));
      normalized = raw.map((v) => (v - mean) / (std + 1e-5));
      denormalize = (y) => y * std + mean;
    }
    if (spec.applyBDecToInput) { for (let i = 0; i < dIn; i++) normalized[i] -= bDec[i]; }

    const pre = new Float64Array(dSae);
    for (let j = 0; j < dSae; j++) {
      let sum = 0;
      for (let i = 0; i < dIn; i++) sum += normalized[i] * enc(i, j);
      pre[j] = sum + bEnc[j];
    }

    const f = new Float64Array(dSae);
    if (spec.architecture === "jumprelu") {
      for (let j = 0; j < dSae; j++) f[j] = pre[j] > threshold![j] ? Math.max(pre[j], 0) : 0;
    } else if (spec.architecture === "relu") {
      for (let j = 0; j < dSae; j++) f[j] = Math.max(pre[j], 0);
    } else if (spec.topkOrder === "relu-then-topk") {
      const relu = pre.map((v) => Math.max(v, 0));
      for (const j of naiveTopK(relu, spec.k!)) f[j] = relu[j];
    } else {
      for (const j of naiveTopK(pre, spec.k!)) f[j] = Math.max(pre[j], 0);
    }

    const reconstruction = new Float64Array(dIn);
    let sqError = NaN;
    if (wDec) {
      sqError = 0;
      for (let i = 0; i < dIn; i++) {
        let sum = bDec[i];
        for (let j = 0; j < dSae; j++) if (f[j] !== 0) sum += f[j] * wDec[j * dIn + i];
        reconstruction[i] = denormalize(sum);
        sqError += (raw[i] - reconstruction[i]) ** 2;
      }
    }
    out.pre.push(pre);
    out.features.push(f);
    out.reconstruction.push(reconstruction);
    out.sqError[r] = sqError;
  }
  return out;
}
