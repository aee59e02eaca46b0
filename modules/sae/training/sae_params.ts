/**
 * The trainable parameters of an SAE and their seeded initial values: decoder rows that are random unit directions,
 * the encoder their transpose (Gao et al. 2024; Conerly et al. 2024), zero encoder biases, JumpReLU log-thresholds
 * at `log(θ₀)` (Rajamanoharan et al. 2024), and `b_dec` at the geometric median (or mean) of a data sample.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "@saeflow/core";
import { randomUnitDictionary } from "../random_dictionary.ts";
import { geometricMedian } from "./geometric_median.ts";

/** The SAE architectures the trainer knows. */
export const TRAINABLE_ARCHITECTURES = ["topk", "jumprelu"] as const;
export type TrainableArchitecture = typeof TRAINABLE_ARCHITECTURES[number];

/** Parameters by name, as the SAELens weight names (`log_threshold` becomes `threshold` when saved). */
export type SaeParams = Record<string, tf.Tensor>;

/** How `b_dec` starts. */
export const B_DEC_INITS = ["geometric-median", "mean", "zero"] as const;
export type BDecInit = typeof B_DEC_INITS[number];

/** What the initial values depend on. */
export interface InitOptions {
  architecture: TrainableArchitecture;
  dIn: number;
  dSae: number;
  seed: number;
  bDecInit: BDecInit;
  /** JumpReLU: θ₀. */
  initialThreshold: number;
}

/** The parameter names of an architecture, in the order gradients are taken. */
export function parameterNames(architecture: TrainableArchitecture): string[] {
  return architecture === "jumprelu"
    ? ["W_enc", "b_enc", "W_dec", "b_dec", "log_threshold"]
    : ["W_enc", "b_enc", "W_dec", "b_dec"];
}

/**
 * Initial parameters as float32 arrays: the decoder and encoder of `randomSae` with the same seed, zero `b_enc`, and
 * `b_dec` placed by `sample` (`[rows, dIn]`, already in training units). The same options and sample give the same
 * bits on every machine.
 */
export function initialParameters(options: InitOptions, sample: Float32Array): Record<string, Float32Array> {
  const { dIn, dSae, seed } = options;
  const { encoder, decoder } = randomUnitDictionary(dIn, dSae, seed);
  const params: Record<string, Float32Array> = {
    W_enc: encoder,
    b_enc: new Float32Array(dSae),
    W_dec: decoder,
    b_dec: initialBDec(options.bDecInit, sample, dIn),
  };
  if (options.architecture === "jumprelu") {
    if (!(options.initialThreshold > 0)) throw new ConfigError(`initial JumpReLU threshold must be > 0`);
    params.log_threshold = new Float32Array(dSae).fill(Math.log(options.initialThreshold));
  }
  return params;
}

function initialBDec(init: BDecInit, sample: Float32Array, dIn: number): Float32Array {
  if (init === "zero") return new Float32Array(dIn);
  const rows = sample.length / dIn;
  if (rows < 1) throw new ConfigError(`b_dec initialisation (${init}) needs at least one sample row`);
  if (init === "geometric-median") return Float32Array.from(geometricMedian(sample, dIn));
  const mean = new Float64Array(dIn);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dIn; i++) mean[i] += sample[r * dIn + i];
  return Float32Array.from(mean, (v) => v / rows);
}

/** Tensors of `values`, with their shapes. */
export function toTensors(values: Record<string, Float32Array>, dIn: number, dSae: number): SaeParams {
  const shapes: Record<string, number[]> = {
    W_enc: [dIn, dSae],
    b_enc: [dSae],
    W_dec: [dSae, dIn],
    b_dec: [dIn],
    log_threshold: [dSae],
  };
  return Object.fromEntries(Object.entries(values).map(([name, data]) => [name, tf.tensor(data, shapes[name])]));
}

/** Decoder rows scaled to unit norm (the constraint both recipes keep after every step). */
export function unitRows(wDec: tf.Tensor): tf.Tensor {
  return tf.tidy(() => wDec.div(wDec.square().sum(1, true).sqrt().maximum(1e-12)));
}

/**
 * A decoder gradient without its component along each (unit) decoder row: the part of the step that the
 * renormalisation would undo anyway. Gao et al. (2024) project it out before the Adam step, as here.
 */
export function withoutParallelComponent(grad: tf.Tensor, wDec: tf.Tensor): tf.Tensor {
  return tf.tidy(() => grad.sub(grad.mul(wDec).sum(1, true).mul(wDec)));
}
