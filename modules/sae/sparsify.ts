/**
 * Loading an EleutherAI sparsify sparse coder (`cfg.json` + `sae.safetensors`, as `SparseCoder.save_to_disk` writes
 * it; one subfolder per hookpoint) into an {@link SaeSpec}. Encoding follows `SparseCoder.encode` and
 * `fused_encoder` (`sparsify/sparse_coder.py`, `sparsify/fused_encoder.py`): `x - b_dec` (autoencoders only),
 * `relu(x @ encoder.weight.T + encoder.bias)`, then the top k of those: ReLU before top-k, so exactly k are kept and
 * zeros fill in when fewer are positive. `encoder.weight` is `[num_latents, d_in]`, hence `encoderTransposed`.
 * @module
 */
import { basename } from "node:path";
import { ConfigError } from "@saeflow/core";
import { SafetensorsFile, type TensorEntry } from "@saeflow/io";
import { openSaeFolder } from "./sae_folder.ts";
import type { SaeSpec } from "./sae_spec.ts";
import { checkShape, matrixInPlace, matrixShape, requireTensor, vectorInMemory } from "./safetensors_weights.ts";
import { parseSparsifyConfig, type SparsifyConfig } from "./sparsify_config.ts";
import { sparsifyHookName } from "./sparsify_hookpoint.ts";

/** The file sparsify writes the weights to. */
export const SPARSIFY_WEIGHTS_FILE = "sae.safetensors";

/** Options for {@link loadSparsify}. */
export interface LoadSparsifyOptions {
  /** The SAE's id in the spec (default: the folder's absolute path). */
  id?: string;
  /** The hookpoint it was trained on (default: the folder's name, which is how sparsify saves runs). */
  hookpoint?: string;
}

/**
 * Loads the sparsify sparse coder in `folder` (one hookpoint's folder, e.g. `run/layers.6`; a run's root folder is
 * a ConfigError listing its hookpoints). `encoder.weight` and `W_dec` are referred to in place; the biases are read.
 * `W_dec` is optional, as in `SparseCoder.load_from_disk(decoder=False)`.
 *
 * @example
 * ```ts
 * const spec = await loadSparsify("sae-pythia-70m/layers.3");
 * spec.hookName; // "blocks.3.hook_resid_post"
 * spec.weights.W_enc; // { shape: [24576, 512], stored: { ... } }, with encoderTransposed: true
 * ```
 */
export async function loadSparsify(folder: string, options: LoadSparsifyOptions = {}): Promise<SaeSpec> {
  const opened = await openSaeFolder(folder, { name: "sparsify", weights: SPARSIFY_WEIGHTS_FILE });
  const { cfgPath } = opened;
  const cfg = parseSparsifyConfig(opened.cfg);

  await using file = await SafetensorsFile.open(opened.weightsPath);
  const tensor = (name: string): TensorEntry =>
    requireTensor(file, name, "the tensors of a sparsify sparse coder: encoder.weight, encoder.bias, b_dec, W_dec");
  const encoder = tensor("encoder.weight");
  const [, columns] = matrixShape(file, encoder, "[num_latents, d_in]");
  const dIn = cfg.dIn ?? columns;
  const dSae = cfg.numLatents ?? dIn * cfg.expansionFactor;
  const basis = dimensionsBasis(cfg, cfgPath, dIn, dSae);
  const expect = (entry: TensorEntry, shape: number[]) => (checkShape(file, entry, shape, basis), entry);
  expect(encoder, [dSae, dIn]);
  const bias = expect(tensor("encoder.bias"), [dSae]);
  const bDec = expect(tensor("b_dec"), [dIn]);
  const wDec = file.tensors.has("W_dec") ? expect(tensor("W_dec"), [dSae, dIn]) : undefined;
  if (cfg.k > dSae) throw new ConfigError(`${cfgPath}: k ${cfg.k} is more than the coder's ${dSae} latents`);

  const hookName = sparsifyHookName(options.hookpoint ?? basename(opened.folder), cfg);
  return {
    id: options.id ?? opened.folder,
    source: opened.folder,
    architecture: "topk",
    topkOrder: "relu-then-topk",
    dIn,
    dSae,
    k: cfg.k,
    applyBDecToInput: !cfg.transcode,
    normalization: { kind: "none" },
    ...(hookName !== undefined && { hookName }),
    weights: {
      W_enc: await matrixInPlace(file, encoder),
      encoderTransposed: true,
      b_enc: await vectorInMemory(file, bias),
      b_dec: await vectorInMemory(file, bDec),
      ...(wDec && { W_dec: await matrixInPlace(file, wDec) }),
    },
  };
}

/** Where the expected dimensions come from, for shape-mismatch messages. */
function dimensionsBasis(cfg: SparsifyConfig, cfgPath: string, dIn: number, dSae: number): string {
  const inSource = cfg.dIn !== undefined ? `d_in ${dIn} from ${cfgPath}` : `d_in ${dIn} from encoder.weight`;
  const width = cfg.numLatents !== undefined
    ? `num_latents ${dSae} from ${cfgPath}`
    : `num_latents ${dSae} = d_in × expansion_factor ${cfg.expansionFactor} from ${cfgPath}`;
  return `${inSource} and ${width}`;
}
