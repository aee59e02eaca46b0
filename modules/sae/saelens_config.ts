/**
 * A SAELens `cfg.json`, of any vintage, read into what the encoder needs. SAELens ≥ 6.0 writes `architecture`,
 * `d_in`, `d_sae`, `apply_b_dec_to_input`, `normalize_activations`, `k` and a `metadata` object (`meta` in the 6.0
 * release candidates); older versions wrote `hook_point`, `activation_fn_str` (+ `activation_fn_kwargs.k`), a boolean
 * `normalize_activations` and no `sae_lens_version`. The rules follow SAELens's own loader
 * (`sae_lens/loading/pretrained_sae_loaders.py`: `handle_config_defaulting`, `handle_pre_6_0_config`).
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { CfgFields } from "./sae_folder.ts";
import type { SaeArchitecture } from "./sae_spec.ts";

/** SAELens's input normalizations (`SAEConfig.normalize_activations`). */
export type SaeLensNormalization = "none" | "expected_average_only_in" | "constant_norm_rescale" | "layer_norm";

/** A SAELens config, resolved. */
export interface SaeLensConfig {
  /** SAELens's name for it (`standard`, `jumprelu`, `topk`), after the pre-6.0 defaults. */
  saeLensArchitecture: string;
  architecture: SaeArchitecture;
  /** TopK only. */
  k?: number;
  /** Absent from some old configs; the weights then say. */
  dIn?: number;
  dSae?: number;
  applyBDecToInput: boolean;
  normalizeActivations: SaeLensNormalization;
  /** TopK (SAELens ≥ 6.x): pre-activations are multiplied by W_dec's row norms before the top k are taken. */
  rescaleActsByDecoderNorm: boolean;
  hookName?: string;
  modelId?: string;
  neuronpediaId?: string;
  /** `sae_lens_version`, when the file records it. */
  saeLensVersion?: string;
  /** Older than 6.0 (or unversioned): SAELens then renames and defaults keys as `handle_pre_6_0_config` does. */
  pre6: boolean;
}

/** The SAELens architectures an encoder here can run, and what each is called in a {@link SaeArchitecture}. */
export const SAELENS_ARCHITECTURES: Readonly<Record<string, SaeArchitecture>> = {
  standard: "relu",
  jumprelu: "jumprelu",
  topk: "topk",
};

const NORMALIZATIONS: readonly SaeLensNormalization[] = [
  "none",
  "expected_average_only_in",
  "constant_norm_rescale",
  "layer_norm",
];

/** Pre-6.0 `activation_fn_str` values with an encoder here. */
const ACTIVATIONS = ["relu", "topk"];

/** `TopKSAEConfig.k`'s default, which SAELens 6 uses when a topk cfg.json has no `k`. */
export const SAELENS_DEFAULT_TOPK_K = 100;

/**
 * Resolves a SAELens `cfg.json`. Unsupported choices (architecture `gated`, activation `tanh-relu`, an unknown
 * normalization) are ConfigErrors naming the file and the supported ones; wrongly typed values are DataErrors.
 *
 * @example
 * ```ts
 * const cfg = new CfgFields("cfg.json", { architecture: "topk", d_in: 4, d_sae: 8, k: 2, metadata: { sae_lens_version: "6.5.0" } });
 * parseSaeLensConfig(cfg); // { architecture: "topk", k: 2, dIn: 4, dSae: 8, applyBDecToInput: true, ... }
 * ```
 */
export function parseSaeLensConfig(cfg: CfgFields): SaeLensConfig {
  const metadata = cfg.object("metadata") ?? cfg.object("meta");
  const saeLensVersion = cfg.string("sae_lens_version") ?? metadata?.string("sae_lens_version");
  const pre6 = saeLensVersion === undefined || majorVersion(cfg, saeLensVersion) < 6;

  const saeLensArchitecture = cfg.string("architecture") ?? "standard";
  if (!Object.hasOwn(SAELENS_ARCHITECTURES, saeLensArchitecture)) {
    throw new ConfigError(
      `${cfg.path}: architecture ${JSON.stringify(saeLensArchitecture)} is not supported; expected one of: ` +
        Object.keys(SAELENS_ARCHITECTURES).join(", "),
    );
  }
  let architecture = SAELENS_ARCHITECTURES[saeLensArchitecture];
  let k: number | undefined;
  if (pre6) {
    // SAELens ≤ 5 picked the activation from activation_fn_str; "standard" + "topk" was its TopK SAE. (SAELens 6's
    // handle_pre_6_0_config maps only architecture "topk", so it would run such a file as a ReLU SAE; the SAE was
    // trained as TopK, so TopK it is here.)
    const activation = cfg.string("activation_fn_str") ?? cfg.string("activation_fn") ?? "relu";
    if (!ACTIVATIONS.includes(activation) || (activation === "topk" && saeLensArchitecture === "jumprelu")) {
      throw new ConfigError(
        `${cfg.path}: activation_fn_str ${JSON.stringify(activation)} with architecture ` +
          `${JSON.stringify(saeLensArchitecture)} is not supported; expected "relu", or "topk" with architecture ` +
          `"standard" or "topk"`,
      );
    }
    const kwargs = cfg.object("activation_fn_kwargs");
    if (saeLensArchitecture === "standard" && activation === "topk") {
      architecture = "topk";
      k = kwargs?.positiveInt("k");
      if (k === undefined) {
        throw cfg.error("activation_fn_kwargs.k", "is missing", "the number of active features of the TopK SAE");
      }
    } else if (architecture === "topk") {
      k = kwargs !== undefined ? kwargs.positiveInt("k") : cfg.positiveInt("k") ?? SAELENS_DEFAULT_TOPK_K;
      if (k === undefined) {
        throw cfg.error("activation_fn_kwargs.k", "is missing", "the number of active features of the TopK SAE");
      }
    }
  } else if (architecture === "topk") {
    k = cfg.positiveInt("k") ?? SAELENS_DEFAULT_TOPK_K;
  }

  return {
    saeLensArchitecture,
    architecture,
    ...(k !== undefined && { k }),
    ...optional("dIn", cfg.positiveInt("d_in")),
    ...optional("dSae", cfg.positiveInt("d_sae")),
    applyBDecToInput: cfg.boolean("apply_b_dec_to_input") ?? true,
    normalizeActivations: normalizeActivations(cfg),
    rescaleActsByDecoderNorm: architecture === "topk" && (cfg.boolean("rescale_acts_by_decoder_norm") ?? false),
    ...optional("hookName", metadata?.string("hook_name") ?? cfg.string("hook_name") ?? cfg.string("hook_point")),
    ...optional("modelId", metadata?.string("model_name") ?? cfg.string("model_name")),
    ...optional("neuronpediaId", metadata?.string("neuronpedia_id") ?? cfg.string("neuronpedia_id")),
    ...optional("saeLensVersion", saeLensVersion),
    pre6,
  };
}

/** `normalize_activations`: a boolean in old files (true meant `expected_average_only_in`), null for none. */
function normalizeActivations(cfg: CfgFields): SaeLensNormalization {
  const value = cfg.raw("normalize_activations");
  if (value === undefined || value === false) return "none";
  if (value === true) return "expected_average_only_in";
  const name = cfg.string("normalize_activations")!;
  if (!NORMALIZATIONS.includes(name as SaeLensNormalization)) {
    throw new ConfigError(
      `${cfg.path}: normalize_activations ${JSON.stringify(name)} is not supported; expected one of: ` +
        NORMALIZATIONS.join(", "),
    );
  }
  return name as SaeLensNormalization;
}

function majorVersion(cfg: CfgFields, version: string): number {
  const match = /^v?(\d+)\./.exec(version);
  if (!match) throw cfg.error("sae_lens_version", `is ${JSON.stringify(version)}`, "a version like 6.5.0");
  return Number(match[1]);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
