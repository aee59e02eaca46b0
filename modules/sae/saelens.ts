/**
 * Loading a SAELens SAE folder (`cfg.json` + `sae_weights.safetensors`, as `SAE.save_model` and
 * `save_inference_model` write it) into an {@link SaeSpec}. Encoding follows SAELens's `process_sae_in` and the
 * architectures' `encode` (`sae_lens/saes/sae.py`, `standard_sae.py`, `jumprelu_sae.py`, `topk_sae.py`):
 *
 * - input: `normalize(x) - b_dec * apply_b_dec_to_input`; then `pre = input @ W_enc + b_enc`;
 * - `standard`: `relu(pre)`; `jumprelu`: `relu(pre) * (pre > threshold)`; `topk`: the top k of `pre`, then ReLU
 *   of those k (`TopK.forward`), so fewer than k may be positive.
 *
 * `expected_average_only_in`: SAELens applies nothing at run time for it. Training folds the estimated factor into
 * the weights before saving (`SAETrainer.fit` → `fold_activation_norm_scaling_factor`, which also resets the mode to
 * "none"), so a file still marked `expected_average_only_in` is one whose factor lives outside it, in SAELens's
 * release registry (`pretrained_saes.yaml`, `norm_scaling_factor`), folded in by `SAE.from_pretrained` only. The
 * caller passes that factor; it becomes `{ kind: "scale", factor }`, which multiplies the input before `b_dec` is
 * subtracted: exactly what the fold (`W_enc *= s; b_dec /= s; W_dec /= s`) computes, without rewriting weights that
 * stay on disk.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { SafetensorsFile, type TensorEntry } from "@saeflow/io";
import { openSaeFolder } from "./sae_folder.ts";
import type { SaeInputNormalization, SaeSpec } from "./sae_spec.ts";
import { firstNonUnitRow } from "./saelens_decoder_norm.ts";
import { parseSaeLensConfig, type SaeLensConfig } from "./saelens_config.ts";
import { checkShape, matrixInPlace, matrixShape, requireTensor, vectorInMemory } from "./safetensors_weights.ts";

/** The file SAELens writes the weights to. */
export const SAELENS_WEIGHTS_FILE = "sae_weights.safetensors";

/** Options for {@link loadSaeLens}. */
export interface LoadSaeLensOptions {
  /** The SAE's id in the spec (default: the folder's absolute path). */
  id?: string;
  /**
   * For an SAE whose `normalize_activations` is `expected_average_only_in`: the factor SAELens's release registry
   * records for it (`norm_scaling_factor` in `pretrained_saes.yaml`). Required for such an SAE, refused for others.
   */
  normScalingFactor?: number;
}

/**
 * Loads the SAELens SAE in `folder`. W_enc and W_dec are referred to in place (F32/F16/BF16); b_enc, b_dec and
 * threshold are read. A ConfigError names `cfg.json` for an unsupported architecture or normalization; a DataError
 * names the weights file for a missing tensor, and both files when a shape disagrees with `d_in`/`d_sae`.
 *
 * @example
 * ```ts
 * const spec = await loadSaeLens("saes/blocks.8.hook_resid_pre");
 * spec.architecture; // "relu"
 * spec.weights.W_enc; // { shape: [768, 24576], stored: { file: ".../sae_weights.safetensors", offset: 168, ... } }
 * ```
 */
export async function loadSaeLens(folder: string, options: LoadSaeLensOptions = {}): Promise<SaeSpec> {
  const opened = await openSaeFolder(folder, { name: "SAELens", weights: SAELENS_WEIGHTS_FILE });
  const { cfgPath, weightsPath } = opened;
  const cfg = parseSaeLensConfig(opened.cfg);
  const normalization = inputNormalization(cfg, cfgPath, options.normScalingFactor);

  await using file = await SafetensorsFile.open(weightsPath);
  const names = ["W_enc", "W_dec", "b_enc", "b_dec", ...(cfg.architecture === "jumprelu" ? ["threshold"] : [])];
  const tensor = (name: string): TensorEntry =>
    requireTensor(file, name, `the tensors of a SAELens ${cfg.saeLensArchitecture} SAE: ${names.join(", ")}`);
  const wEnc = tensor("W_enc");
  const [rows, columns] = matrixShape(file, wEnc, "[d_in, d_sae]");
  const dIn = cfg.dIn ?? rows;
  const dSae = cfg.dSae ?? columns;
  const basis = dimensionsBasis(cfg, cfgPath, dIn, dSae);
  const expect = (entry: TensorEntry, shape: number[]) => (checkShape(file, entry, shape, basis), entry);
  expect(wEnc, [dIn, dSae]);
  const wDec = expect(tensor("W_dec"), [dSae, dIn]);
  const bEnc = expect(tensor("b_enc"), [dSae]);
  const bDec = expect(tensor("b_dec"), [dIn]);
  const threshold = cfg.architecture === "jumprelu" ? expect(tensor("threshold"), [dSae]) : undefined;

  if (cfg.k !== undefined && cfg.k > dSae) {
    throw new ConfigError(`${cfgPath}: k ${cfg.k} is more than the SAE's ${dSae} features`);
  }
  if (cfg.rescaleActsByDecoderNorm) {
    const off = await firstNonUnitRow(file, wDec);
    if (off) {
      throw new ConfigError(
        `${cfgPath}: rescale_acts_by_decoder_norm is true and row ${off.row} of W_dec in ${weightsPath} has norm ` +
          `${off.norm}, so features depend on decoder norms this loader cannot carry; expected W_dec rows of norm 1 ` +
          `(SAELens's save_inference_model folds them into W_enc and b_enc)`,
      );
    }
  }

  return {
    id: options.id ?? opened.folder,
    source: opened.folder,
    architecture: cfg.architecture,
    dIn,
    dSae,
    ...(cfg.architecture === "topk" && { k: cfg.k!, topkOrder: "topk-then-relu" as const }),
    applyBDecToInput: cfg.applyBDecToInput,
    normalization,
    ...(cfg.hookName !== undefined && { hookName: cfg.hookName }),
    ...(cfg.modelId !== undefined && { modelId: cfg.modelId }),
    ...(cfg.neuronpediaId !== undefined && { neuronpediaId: cfg.neuronpediaId }),
    weights: {
      W_enc: await matrixInPlace(file, wEnc),
      b_enc: await vectorInMemory(file, bEnc),
      ...(threshold && { threshold: await vectorInMemory(file, threshold) }),
      b_dec: await vectorInMemory(file, bDec),
      W_dec: await matrixInPlace(file, wDec),
    },
  };
}

/** SAELens's `normalize_activations` as a spec normalization (see the module notes for the scaling factor). */
function inputNormalization(
  cfg: SaeLensConfig,
  cfgPath: string,
  factor: number | undefined,
): SaeInputNormalization {
  const mode = cfg.normalizeActivations;
  if (mode === "expected_average_only_in") {
    if (factor === undefined) {
      throw new ConfigError(
        `${cfgPath}: normalize_activations is "expected_average_only_in", whose scaling factor SAELens keeps ` +
          `outside the SAE folder (norm_scaling_factor in its pretrained_saes.yaml, folded in by ` +
          `SAE.from_pretrained); pass it as normScalingFactor`,
      );
    }
    if (!(Number.isFinite(factor) && factor > 0)) {
      throw new ConfigError(`normScalingFactor ${factor} for ${cfgPath}: expected a finite number > 0`);
    }
    return { kind: "scale", factor };
  }
  if (factor !== undefined) {
    throw new ConfigError(
      `${cfgPath}: normalize_activations is "${mode}", so normScalingFactor ${factor} has nothing to scale; ` +
        `SAELens folds a factor only into "expected_average_only_in" SAEs`,
    );
  }
  return { kind: mode };
}

/** Where the expected dimensions come from, for shape-mismatch messages. */
function dimensionsBasis(cfg: SaeLensConfig, cfgPath: string, dIn: number, dSae: number): string {
  const inSource = cfg.dIn !== undefined ? cfgPath : "W_enc";
  const saeSource = cfg.dSae !== undefined ? cfgPath : "W_enc";
  return inSource === saeSource
    ? `d_in ${dIn} and d_sae ${dSae} from ${inSource}`
    : `d_in ${dIn} from ${inSource} and d_sae ${dSae} from ${saeSource}`;
}
