/**
 * Seeded random SAEs and inputs for the encoder tests, built so that no gate decision is closer than a margin to its
 * boundary: float32 (ONNX Runtime) and float64 (the naive reference) then agree on every active set, and a mismatch is
 * a real difference, not rounding.
 *
 * - jumprelu: each feature's threshold (positive) sits in a gap of that column's pre-activations over the test rows,
 *   so `|pre - threshold| >= THRESHOLD_MARGIN` everywhere.
 * - relu: each feature's `b_enc` moves a gap of its column onto 0, so `|pre| >= THRESHOLD_MARGIN` everywhere.
 * - topk: `b_enc` is shifted so that about k pre-activations per row are positive (some rows have fewer than k, which
 *   is where the two top-k orders could part); rows are redrawn until the k-th and (k+1)-th largest differ by at least
 *   TOPK_MARGIN and none of the k + 1 largest is within TOPK_MARGIN of 0.
 */
import { mulberry32, standardNormal } from "../../random.ts";
import type { SaeArchitecture, SaeInputNormalization, SaeSpec } from "../../../modules/sae/sae_spec.ts";
import { naiveSae, type NaiveSaeOutput } from "../reference/naive_sae.ts";

export const THRESHOLD_MARGIN = 1e-3;
export const TOPK_MARGIN = 1e-4;

/** A seeded uniform generator in [0, 1) (mulberry32). */
export const rng = mulberry32;

export interface RandomSaeOptions {
  dIn: number;
  dSae: number;
  rows: number;
  architecture: SaeArchitecture;
  topkOrder?: "topk-then-relu" | "relu-then-topk";
  k?: number;
  applyBDecToInput: boolean;
  encoderTransposed: boolean;
  normalization: SaeInputNormalization;
  seed: number;
  /** Spread of the inputs (each row is also scaled by its own random factor). Default 1. */
  inputScale?: number;
  /** Added to every input (layer_norm removes it). Default 0. */
  inputOffset?: number;
  /** Applied to W_enc and W_dec before the gates are placed, e.g. rounding to bfloat16. */
  roundWeights?: (w: Float32Array) => Float32Array;
}

export interface SaeFixture {
  spec: SaeSpec;
  x: Float32Array;
  rows: number;
  /** The reference's output on `x`. */
  reference: NaiveSaeOutput;
}

const label = (o: RandomSaeOptions) =>
  `${o.architecture}${o.topkOrder ? `/${o.topkOrder}` : ""} ${o.dIn}x${o.dSae} rows=${o.rows} ` +
  `norm=${o.normalization.kind} bDecIn=${o.applyBDecToInput} transposed=${o.encoderTransposed} seed=${o.seed}`;

/** A random SAE and input rows for `options`, gates placed with margins (see the module doc). */
export function randomSae(options: RandomSaeOptions): SaeFixture & { label: string } {
  const { dIn, dSae, rows, architecture, seed } = options;
  const uniform = rng(seed);
  const gauss = standardNormal(uniform);
  const draw = (n: number, scale: number, offset = 0) =>
    Float32Array.from({ length: n }, () => offset + scale * gauss());
  const round = options.roundWeights ?? ((w: Float32Array) => w);
  const inputScale = options.inputScale ?? 1;
  const inputOffset = options.inputOffset ?? 0;
  const drawRow = () => {
    const rowScale = inputScale * Math.exp(0.5 * gauss());
    return draw(dIn, rowScale, inputOffset);
  };

  const x = new Float32Array(rows * dIn);
  for (let r = 0; r < rows; r++) x.set(drawRow(), r * dIn);
  const k = architecture === "topk" ? options.k : undefined;
  const spec: SaeSpec = {
    id: label(options),
    source: `random SAE seed ${seed}`,
    architecture,
    dIn,
    dSae,
    ...(k !== undefined ? { k, topkOrder: options.topkOrder } : {}),
    applyBDecToInput: options.applyBDecToInput,
    normalization: options.normalization,
    weights: {
      W_enc: {
        shape: options.encoderTransposed ? [dSae, dIn] : [dIn, dSae],
        data: round(draw(dIn * dSae, 1 / Math.sqrt(dIn))),
      },
      encoderTransposed: options.encoderTransposed,
      b_enc: { shape: [dSae], data: draw(dSae, 0.3) },
      b_dec: { shape: [dIn], data: draw(dIn, 0.3) },
      W_dec: { shape: [dSae, dIn], data: round(draw(dSae * dIn, 1 / Math.sqrt(dSae))) },
      ...(architecture === "jumprelu" ? { threshold: { shape: [dSae], data: new Float32Array(dSae) } } : {}),
    },
  };
  const bEnc = (spec.weights.b_enc as { data: Float32Array }).data;

  if (architecture === "jumprelu" || architecture === "relu") {
    if (architecture === "relu") bEnc.fill(0);
    const { pre } = naiveSae(spec, x, rows);
    for (let j = 0; j < dSae; j++) {
      const column = pre.map((p) => p[j]).sort((a, b) => a - b);
      const cut = pickCut(column, uniform, architecture === "jumprelu");
      if (architecture === "jumprelu") {
        (spec.weights.threshold as { data: Float32Array }).data[j] = cut;
      } else {
        bEnc[j] = -cut;
      }
    }
  } else {
    // Shift b_enc so that about k of dSae pre-activations are positive over the pooled rows.
    const { pre } = naiveSae(spec, x, rows);
    const pooled = pre.flatMap((p) => Array.from(p)).sort((a, b) => b - a);
    const shift = pooled[Math.min(pooled.length - 1, Math.floor((k! / dSae) * pooled.length))];
    for (let j = 0; j < dSae; j++) bEnc[j] = Math.fround(bEnc[j] - shift);
    for (let r = 0; r < rows; r++) {
      for (
        let attempt = 0;
        topkRowMargin(naiveSae(spec, x.subarray(r * dIn, (r + 1) * dIn), 1).pre[0], k!) < TOPK_MARGIN;
        attempt++
      ) {
        if (attempt === 10_000) throw new Error(`${label(options)}: no row ${r} with a top-k margin`);
        x.set(drawRow(), r * dIn);
      }
    }
  }
  return { spec, x, rows, reference: naiveSae(spec, x, rows), label: label(options) };
}

/**
 * A float32 cut point between two of the sorted `values` (or past either end) at least THRESHOLD_MARGIN (plus room for
 * rounding) from all of them; positive when `positive`.
 */
function pickCut(sorted: number[], uniform: () => number, positive: boolean): number {
  const room = 2 * THRESHOLD_MARGIN + 1e-4;
  const candidates: number[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    if (sorted[i + 1] - sorted[i] > room) candidates.push((sorted[i] + sorted[i + 1]) / 2);
  }
  candidates.push(sorted[0] - 0.5, sorted[sorted.length - 1] + 0.5);
  const usable = positive ? candidates.filter((c) => c > room) : candidates;
  if (usable.length === 0) usable.push(Math.max(sorted[sorted.length - 1], 0) + 0.5);
  return Math.fround(usable[Math.floor(uniform() * usable.length)]);
}

/** For one row's pre-activations: the smaller of the k-th/(k+1)-th gap and the k + 1 largest values' distance to 0. */
export function topkRowMargin(pre: Float64Array, k: number): number {
  const sorted = Array.from(pre).sort((a, b) => b - a);
  let margin = k < sorted.length ? sorted[k - 1] - sorted[k] : Infinity;
  for (let i = 0; i <= k && i < sorted.length; i++) margin = Math.min(margin, Math.abs(sorted[i]));
  return margin;
}

/** How far the closest gate decision of one row (its pre-activations) is from flipping. */
export function rowGateMargin(spec: SaeSpec, pre: Float64Array): number {
  let margin = Infinity;
  if (spec.architecture === "jumprelu") {
    const threshold = (spec.weights.threshold as { data: Float32Array }).data;
    for (let j = 0; j < spec.dSae; j++) {
      if (!(threshold[j] > 0)) return 0;
      margin = Math.min(margin, Math.abs(pre[j] - threshold[j]));
    }
  } else if (spec.architecture === "relu") {
    for (const p of pre) margin = Math.min(margin, Math.abs(p));
  } else {
    margin = topkRowMargin(pre, spec.k!);
  }
  return margin;
}

/** How far the closest gate decision of the fixture is from flipping, measured on the reference's pre-activations. */
export function gateMargin(fixture: SaeFixture): number {
  return Math.min(...fixture.reference.pre.map((pre) => rowGateMargin(fixture.spec, pre)));
}
