/**
 * The settings of an SAE training run, their published defaults, and their checks. Everything here shapes the
 * result, so all of it goes into checkpoints and into the saved SAE's metadata.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { B_DEC_INITS, type BDecInit, TRAINABLE_ARCHITECTURES, type TrainableArchitecture } from "./sae_params.ts";

/** A training run's settings, complete (see {@link resolveTrainingConfig} for the defaults). */
export interface SaeTrainingConfig {
  architecture: TrainableArchitecture;
  dIn: number;
  dSae: number;
  /** Rows per step. */
  batchSize: number;
  /** Steps of the whole run (the learning-rate schedule needs it). */
  totalSteps: number;
  seed: number;
  learningRate: number;
  warmupSteps: number;
  /** Linear decay to 0 over the last this many steps (0: none). */
  decaySteps: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  bDecInit: BDecInit;
  /** Subtract `b_dec` before encoding (default: true for TopK as Gao et al., false for JumpReLU as Gemma Scope). */
  applyBDecToInput: boolean;
  /** Keep decoder rows at unit norm (and project their gradient's parallel part out). */
  normalizeDecoder: boolean;
  /** A latent that has not fired for this many tokens is dead (AuxK's targets). */
  deadAfterTokens: number;
  /** TopK: features kept per token. */
  k: number;
  /** TopK: dead latents AuxK recruits per token (default `dIn / 2`, as SAELens). */
  auxK: number;
  /** TopK: AuxK's weight (Gao et al.: 1/32). */
  auxCoefficient: number;
  /** JumpReLU: λ, the L0 penalty's coefficient once warmed up. */
  l0Coefficient: number;
  /** JumpReLU: λ rises linearly from 0 over this many steps. */
  l0WarmupSteps: number;
  /** JumpReLU: ε, the straight-through kernel's width (training units: inputs have mean squared norm 1). */
  bandwidth: number;
  /** JumpReLU: θ₀. */
  initialThreshold: number;
}

/** The settings a caller must give; the rest default. */
export type TrainingConfigInput =
  & Pick<SaeTrainingConfig, "architecture" | "dIn" | "dSae" | "totalSteps">
  & Partial<SaeTrainingConfig>;

/** Fills in the defaults and checks every value; a ConfigError names the setting and what it must be. */
export function resolveTrainingConfig(input: TrainingConfigInput): SaeTrainingConfig {
  const jumprelu = input.architecture === "jumprelu";
  const config: SaeTrainingConfig = {
    batchSize: 4096,
    seed: 0,
    learningRate: jumprelu ? 7e-5 : 4e-4,
    warmupSteps: 100,
    decaySteps: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    bDecInit: "geometric-median",
    applyBDecToInput: !jumprelu,
    normalizeDecoder: true,
    deadAfterTokens: 1_000_000,
    k: 32,
    auxK: Math.max(1, Math.floor(input.dIn / 2)),
    auxCoefficient: 1 / 32,
    l0Coefficient: 1e-3,
    l0WarmupSteps: 0,
    bandwidth: 0.001,
    initialThreshold: 0.001,
    ...input,
  };
  if (!TRAINABLE_ARCHITECTURES.includes(config.architecture)) {
    throw new ConfigError(
      `SAE training: architecture "${config.architecture}"; expected one of ${TRAINABLE_ARCHITECTURES.join(", ")}`,
    );
  }
  if (!B_DEC_INITS.includes(config.bDecInit)) {
    throw new ConfigError(`SAE training: bDecInit "${config.bDecInit}"; expected one of ${B_DEC_INITS.join(", ")}`);
  }
  const positiveIntegers = ["dIn", "dSae", "batchSize", "totalSteps", "k", "auxK", "deadAfterTokens"] as const;
  for (const key of positiveIntegers) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new ConfigError(`SAE training: ${key} is ${config[key]}; expected a positive integer`);
    }
  }
  for (const key of ["warmupSteps", "decaySteps", "l0WarmupSteps", "seed"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      throw new ConfigError(`SAE training: ${key} is ${config[key]}; expected an integer ≥ 0`);
    }
  }
  for (const key of ["learningRate", "epsilon", "bandwidth", "initialThreshold"] as const) {
    if (!(config[key] > 0 && Number.isFinite(config[key]))) {
      throw new ConfigError(`SAE training: ${key} is ${config[key]}; expected a finite number > 0`);
    }
  }
  for (const key of ["auxCoefficient", "l0Coefficient"] as const) {
    if (!(config[key] >= 0 && Number.isFinite(config[key]))) {
      throw new ConfigError(`SAE training: ${key} is ${config[key]}; expected a finite number ≥ 0`);
    }
  }
  for (const key of ["beta1", "beta2"] as const) {
    if (!(config[key] >= 0 && config[key] < 1)) {
      throw new ConfigError(`SAE training: ${key} is ${config[key]}; expected a number in [0, 1)`);
    }
  }
  if (config.architecture === "topk" && config.k > config.dSae) {
    throw new ConfigError(`SAE training: k ${config.k} is more than the ${config.dSae} latents`);
  }
  return config;
}
