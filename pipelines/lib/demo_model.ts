/**
 * The demo's model until the project trains its own language model: a small Llama with seeded random weights and
 * the byte-level tokenizer, written as a Hugging Face folder (`config.json`, `model.safetensors`, `tokenizer.json`,
 * `tokenizer_config.json`) so that it goes through exactly the loaders a real checkpoint does. Untrained: its
 * features are random functions of the bytes of the text, which the demo says plainly.
 * @module
 */
import { mulberry32, standardNormal } from "@saeflow/core";
import { statIfExists, writeFileAtomic, writeSafetensors } from "@saeflow/io";
import { BYTE_TOKENIZER_SPECIALS, BYTE_TOKENIZER_VOCAB_SIZE, byteTokenizerFiles } from "@saeflow/tokenize";

/** The shape of the demo model. */
export const DEMO_MODEL = Object.freeze({ hidden: 64, layers: 4, heads: 4, kvHeads: 2, intermediate: 192, seed: 2025 });

/**
 * Writes the model into `folder` (once: an existing `model.safetensors` is kept, since the same seed gives the same
 * bytes) and returns the folder.
 *
 * @example
 * ```ts
 * const folder = await writeDemoModel("out/demo/model");
 * const model = await loadDecoder(folder, { hooks: ["blocks.2.hook_resid_post"] });
 * ```
 */
export async function writeDemoModel(folder: string): Promise<string> {
  if (await statIfExists(`${folder}/model.safetensors`)) return folder;
  await Deno.mkdir(folder, { recursive: true });
  const { hidden, layers, heads, kvHeads, intermediate, seed } = DEMO_MODEL;
  const headDim = hidden / heads;
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 1024,
    vocab_size: BYTE_TOKENIZER_VOCAB_SIZE,
    tie_word_embeddings: false,
    hidden_act: "silu",
    bos_token_id: BYTE_TOKENIZER_SPECIALS.bos,
    eos_token_id: BYTE_TOKENIZER_SPECIALS.eos,
    pad_token_id: BYTE_TOKENIZER_SPECIALS.pad,
    torch_dtype: "float32",
    saeflow: { note: "untrained: seeded random weights (pipelines/lib/demo_model.ts)", seed },
  };
  const gaussian = standardNormal(mulberry32(seed));
  const matrix = (rows: number, cols: number, std: number) => ({
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => std * gaussian()),
  });
  const ones = (n: number) => ({ shape: [n], data: new Float32Array(n).fill(1) });
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
    "model.embed_tokens.weight": matrix(BYTE_TOKENIZER_VOCAB_SIZE, hidden, 1),
  };
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    tensors[`${p}.input_layernorm.weight`] = ones(hidden);
    tensors[`${p}.self_attn.q_proj.weight`] = matrix(heads * headDim, hidden, 1 / Math.sqrt(hidden));
    tensors[`${p}.self_attn.k_proj.weight`] = matrix(kvHeads * headDim, hidden, 1 / Math.sqrt(hidden));
    tensors[`${p}.self_attn.v_proj.weight`] = matrix(kvHeads * headDim, hidden, 1 / Math.sqrt(hidden));
    tensors[`${p}.self_attn.o_proj.weight`] = matrix(hidden, heads * headDim, 1 / Math.sqrt(heads * headDim));
    tensors[`${p}.post_attention_layernorm.weight`] = ones(hidden);
    tensors[`${p}.mlp.gate_proj.weight`] = matrix(intermediate, hidden, 1 / Math.sqrt(hidden));
    tensors[`${p}.mlp.up_proj.weight`] = matrix(intermediate, hidden, 1 / Math.sqrt(hidden));
    tensors[`${p}.mlp.down_proj.weight`] = matrix(hidden, intermediate, 1 / Math.sqrt(intermediate));
  }
  tensors["model.norm.weight"] = ones(hidden);
  tensors["lm_head.weight"] = matrix(BYTE_TOKENIZER_VOCAB_SIZE, hidden, 1 / Math.sqrt(hidden));

  const { tokenizerJson, tokenizerConfigJson } = byteTokenizerFiles();
  const text = (s: string) => [new TextEncoder().encode(s)];
  await writeFileAtomic(`${folder}/config.json`, text(JSON.stringify(config, null, 2) + "\n"));
  await writeFileAtomic(`${folder}/tokenizer.json`, text(tokenizerJson));
  await writeFileAtomic(`${folder}/tokenizer_config.json`, text(tokenizerConfigJson));
  await writeSafetensors(`${folder}/model.safetensors`, tensors);
  return folder;
}
