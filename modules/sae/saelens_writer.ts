/**
 * Saving an {@link SaeSpec} as a SAELens 6 SAE folder (`sae_weights.safetensors` + `cfg.json`, the layout
 * `SAE.save_model` writes and `SAE.load_from_disk` / {@link loadSaeLens} read), so that an SAE loaded here from any
 * format (Gemma Scope npz, sparsify, a random baseline) can be used by SAELens-based tools.
 *
 * Tensors are written as float32, exactly the float32 values the spec holds (16-bit stored weights widen exactly).
 * A `scale` input normalization has no runtime equivalent in SAELens (`expected_average_only_in` does nothing at run
 * time), so it is folded into the weights as `fold_activation_norm_scaling_factor` does, and the file says "none".
 * @module
 */
import { join } from "node:path";
import { ConfigError, SAEFLOW_VERSION } from "@saeflow/core";
import {
  bfloat16ToFloat32Array,
  DTYPE_BYTES,
  FileRange,
  float16ToFloat32Array,
  type TensorToWrite,
  writeJsonAtomic,
  writeSafetensors,
} from "@saeflow/io";
import { SAE_CFG_FILE } from "./sae_folder.ts";
import type { SaeArchitecture, SaeSpec, SaeTensor } from "./sae_spec.ts";
import { SAELENS_WEIGHTS_FILE } from "./saelens.ts";
import type { SaeLensNormalization } from "./saelens_config.ts";

/** Options for {@link saveSaeLens}. */
export interface SaveSaeLensOptions {
  /** Extra `metadata` entries for `cfg.json` (`context_size`, `dataset_path`, ...); they override the defaults. */
  metadata?: Record<string, unknown>;
}

/** SAELens's name for each architecture (the inverse of `SAELENS_ARCHITECTURES`). */
const SAELENS_NAMES: Readonly<Record<SaeArchitecture, string>> = {
  relu: "standard",
  jumprelu: "jumprelu",
  topk: "topk",
};

/** The format version written: SAELens ≥ 6 reads `metadata` as is, older files get renamed and defaulted. */
const WRITTEN_FORMAT_VERSION = "6.0.0";

/**
 * Saves `spec` as a SAELens SAE in `folder` (created if needed). Weights in memory or stored on disk, a transposed
 * encoder (sparsify) and a `scale` normalization (folded) are all handled; an SAE without `W_dec` is a ConfigError
 * naming `spec.source`, since SAELens needs the decoder. Each file appears whole or not at all, the weights before
 * `cfg.json`, so an interrupted save leaves no folder that loads as an SAE.
 *
 * @example
 * ```ts
 * const spec = await loadSparsify("sparsify/layers.6");
 * await saveSaeLens("saes/layers.6", spec, { metadata: { context_size: 1024 } });
 * const again = await loadSaeLens("saes/layers.6"); // same features for the same inputs
 * ```
 */
export async function saveSaeLens(folder: string, spec: SaeSpec, options: SaveSaeLensOptions = {}): Promise<void> {
  const { dIn, dSae, weights } = spec;
  if (!weights.W_dec) {
    throw new ConfigError(`${spec.source}: the SAE has no W_dec; the SAELens format needs the decoder`);
  }
  if (spec.architecture === "topk" && !(Number.isInteger(spec.k) && spec.k! >= 1 && spec.k! <= dSae)) {
    throw new ConfigError(`${spec.source}: a topk SAE needs k in 1..${dSae}, got ${spec.k}`);
  }
  if (spec.architecture === "jumprelu" && !weights.threshold) {
    throw new ConfigError(`${spec.source}: a jumprelu SAE needs its threshold`);
  }

  // Everything is read into memory before anything is written: `folder` may be where the stored tensors live.
  const read = (name: string, t: SaeTensor, count: number) => float32Values(spec, name, t, count);
  let wEnc = await read("W_enc", weights.W_enc, dIn * dSae);
  if (weights.encoderTransposed) wEnc = transpose(wEnc, dSae, dIn); // sparsify's [d_sae, d_in] to SAELens's [d_in, d_sae]
  let wDec = await read("W_dec", weights.W_dec, dSae * dIn);
  let bDec = await read("b_dec", weights.b_dec, dIn);
  const bEnc = await read("b_enc", weights.b_enc, dSae);
  const threshold = spec.architecture === "jumprelu" ? await read("threshold", weights.threshold!, dSae) : undefined;

  let normalization: SaeLensNormalization;
  const n = spec.normalization;
  if (n.kind === "scale") {
    // (s·x - b_dec) @ W_enc = (x - b_dec/s) @ (s·W_enc): the same pre-activations (up to rounding) with nothing to
    // do at run time. Thresholds compare pre-activations, so they stay; W_dec/s keeps reconstructions in x's units.
    if (!(Number.isFinite(n.factor) && n.factor > 0)) {
      throw new ConfigError(`${spec.source}: scale factor ${n.factor}; expected a finite number > 0`);
    }
    // In float32 arithmetic, as torch folds a float32 SAE: s rounded to float32, then each product/quotient of two
    // float32s is exact in float64 or rounded once more without changing the result.
    const s = Math.fround(n.factor);
    wEnc = wEnc.map((w) => w * s);
    wDec = wDec.map((w) => w / s);
    bDec = bDec.map((b) => b / s);
    normalization = "none";
  } else if (n.kind === "none" || n.kind === "constant_norm_rescale" || n.kind === "layer_norm") {
    normalization = n.kind;
  } else {
    throw new ConfigError(
      `${spec.source}: normalization ${JSON.stringify((n as { kind: string }).kind)} has no SAELens equivalent; ` +
        `expected none, scale, constant_norm_rescale or layer_norm`,
    );
  }

  const tensors: Record<string, TensorToWrite> = {
    W_enc: { shape: [dIn, dSae], data: wEnc },
    W_dec: { shape: [dSae, dIn], data: wDec },
    b_enc: { shape: [dSae], data: bEnc },
    b_dec: { shape: [dIn], data: bDec },
    ...(spec.architecture === "jumprelu" && { threshold: { shape: [dSae], data: threshold! } }),
  };
  const cfg = {
    architecture: SAELENS_NAMES[spec.architecture],
    d_in: dIn,
    d_sae: dSae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: spec.applyBDecToInput,
    normalize_activations: normalization,
    reshape_activations: "none",
    // SAELens's TopK takes the top k, then ReLU; sparsify's "relu-then-topk" keeps the same active features and
    // values (see SaeSpec.topkOrder), so either order is saved as SAELens's. The pre-activations are not rescaled.
    ...(spec.architecture === "topk" && { k: spec.k, rescale_acts_by_decoder_norm: false }),
    metadata: {
      sae_lens_version: WRITTEN_FORMAT_VERSION,
      sae_lens_training_version: null,
      model_name: spec.modelId ?? null,
      hook_name: spec.hookName ?? null,
      hook_head_index: null,
      prepend_bos: true,
      neuronpedia_id: spec.neuronpediaId ?? null,
      saeflow_version: SAEFLOW_VERSION,
      ...options.metadata,
    },
  };

  await Deno.mkdir(folder, { recursive: true });
  const cfgPath = join(folder, SAE_CFG_FILE);
  // An older cfg.json goes first: a crash between the two renames below then leaves new weights without a config
  // (refused by every loader), never new weights under an old config.
  await Deno.remove(cfgPath).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await writeSafetensors(join(folder, SAELENS_WEIGHTS_FILE), tensors, { format: "pt" });
  await writeJsonAtomic(cfgPath, cfg);
}

/** A tensor's values as float32: in-memory data as is, stored bytes read and widened (F16/BF16 exactly). */
async function float32Values(spec: SaeSpec, name: string, t: SaeTensor, count: number): Promise<Float32Array> {
  const wrongSize = (have: string) =>
    new ConfigError(
      `${spec.source}: ${name} has ${have}, expected ${count} values (d_in ${spec.dIn}, d_sae ${spec.dSae})`,
    );
  if ("data" in t) {
    if (t.data.length !== count) throw wrongSize(`${t.data.length} values`);
    return t.data;
  }
  const { file, offset, length, dtype } = t.stored;
  if (length !== count * DTYPE_BYTES[dtype]) throw wrongSize(`${length} bytes of ${dtype} in ${file}`);
  const bytes = await new FileRange(file, offset, offset + length).arrayBuffer();
  if (dtype === "F32") return new Float32Array(bytes);
  const bits = new Uint16Array(bytes);
  return dtype === "BF16" ? bfloat16ToFloat32Array(bits) : float16ToFloat32Array(bits);
}

/** `[rows, cols]` to `[cols, rows]`. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}
