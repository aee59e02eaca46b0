/**
 * A Llama model's parameters as plain float32 arrays, named and shaped as Hugging Face stores them (projections
 * `[out, in]`), and their seeded initial values. Kept free of tfjs so that writing, reading and checking a model
 * folder needs no tensor backend.
 * @module
 */
import { mulberry32, standardNormal } from "@saeflow/core";
import { checkLlamaConfig, type LlamaConfig, llamaHeadDim } from "./llama_config.ts";

/** One parameter: row-major float32 values and the shape. */
export interface LlamaParam {
  shape: number[];
  data: Float32Array;
}

/** Every parameter of a model, by Hugging Face tensor name. */
export type LlamaParams = Record<string, LlamaParam>;

/**
 * The names and shapes of `config`'s parameters, in a fixed order (embedding, each layer, final norm, then
 * `lm_head.weight` when untied): the order initial values are drawn in.
 *
 * @example
 * ```ts
 * llamaParamShapes(config)["model.layers.0.self_attn.k_proj.weight"]; // [nKvHeads * headDim, dModel]
 * ```
 */
export function llamaParamShapes(config: LlamaConfig): Record<string, number[]> {
  const { vocabSize: V, dModel: D, nLayers, nHeads, nKvHeads, dFf: F, tieEmbeddings } = checkLlamaConfig(config);
  const hd = llamaHeadDim(config);
  const shapes: Record<string, number[]> = { "model.embed_tokens.weight": [V, D] };
  for (let layer = 0; layer < nLayers; layer++) {
    const p = `model.layers.${layer}`;
    shapes[`${p}.input_layernorm.weight`] = [D];
    shapes[`${p}.self_attn.q_proj.weight`] = [nHeads * hd, D];
    shapes[`${p}.self_attn.k_proj.weight`] = [nKvHeads * hd, D];
    shapes[`${p}.self_attn.v_proj.weight`] = [nKvHeads * hd, D];
    shapes[`${p}.self_attn.o_proj.weight`] = [D, nHeads * hd];
    shapes[`${p}.post_attention_layernorm.weight`] = [D];
    shapes[`${p}.mlp.gate_proj.weight`] = [F, D];
    shapes[`${p}.mlp.up_proj.weight`] = [F, D];
    shapes[`${p}.mlp.down_proj.weight`] = [D, F];
  }
  shapes["model.norm.weight"] = [D];
  if (!tieEmbeddings) shapes["lm_head.weight"] = [V, D];
  return shapes;
}

/** Whether the parameter is an RMSNorm scale (initialised to 1, not drawn). */
export const isNormWeight = (name: string): boolean => name.endsWith("norm.weight");

/** Names of the projections that write into the residual stream, which GPT-2 initialises smaller. */
const isResidualOutput = (name: string): boolean => name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight");

/**
 * GPT-2's initialisation (Radford et al. 2019): normal(0, 0.02), with the projections that add into the residual
 * stream scaled by 1/sqrt(2 · nLayers) so that the stream's variance does not grow with depth.
 */
export function gpt2InitStd(config: LlamaConfig): (name: string, shape: readonly number[]) => number {
  const residual = 0.02 / Math.sqrt(2 * config.nLayers);
  return (name) => isResidualOutput(name) ? residual : 0.02;
}

/**
 * Seeded initial parameters: norm scales at 1 and every matrix drawn from normal(0, std(name, shape)) (default
 * {@link gpt2InitStd}), in the order of {@link llamaParamShapes} from one mulberry32 stream, so a seed gives the same
 * bits on every machine.
 *
 * @example
 * ```ts
 * const params = initLlamaParams(config, 2025);
 * params["model.norm.weight"].data; // all ones
 * ```
 */
export function initLlamaParams(
  config: LlamaConfig,
  seed: number,
  std: (name: string, shape: readonly number[]) => number = gpt2InitStd(config),
): LlamaParams {
  const gaussian = standardNormal(mulberry32(seed));
  const params: LlamaParams = {};
  for (const [name, shape] of Object.entries(llamaParamShapes(config))) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (isNormWeight(name)) {
      params[name] = { shape, data: new Float32Array(size).fill(1) };
    } else {
      const s = std(name, shape);
      params[name] = { shape, data: Float32Array.from({ length: size }, () => s * gaussian()) };
    }
  }
  return params;
}

/**
 * What keeps `params` from being exactly `config`'s parameters (a missing or extra tensor, a wrong shape or size), or
 * undefined when nothing does. Callers choose the error: a ConfigError for parameters in hand, a DataError for a file.
 *
 * @example
 * ```ts
 * const problem = llamaParamsProblem(config, params);
 * if (problem) throw new ConfigError(`my model: ${problem}`);
 * ```
 */
export function llamaParamsProblem(config: LlamaConfig, params: LlamaParams): string | undefined {
  const shapes = llamaParamShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    const param = params[name];
    if (!param) return `parameter "${name}" (shape [${shape}]) is missing`;
    const size = shape.reduce((a, b) => a * b, 1);
    if (
      param.shape.length !== shape.length || param.shape.some((d, i) => d !== shape[i]) || param.data.length !== size
    ) {
      return `parameter "${name}" has shape [${param.shape}] and ${param.data.length} values; the config gives [${shape}]`;
    }
  }
  const extra = Object.keys(params).filter((name) => !(name in shapes));
  if (extra.length === 0) return undefined;
  return `parameters ${extra.map((n) => `"${n}"`).join(", ")} are not part of this config` +
    (extra.includes("lm_head.weight") ? " (tied embeddings have no lm_head.weight)" : "");
}
