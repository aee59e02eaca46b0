/**
 * Imports a llama2.c checkpoint (Karpathy's legacy format: 7 int32 header fields, then float32 weights) as a Llama
 * decoder with Hugging Face tensor names, so the same graph builder serves it.
 * @module
 */
import { DataError } from "@saeflow/core";
import type { DecoderConfig } from "./decoder_config.ts";
import { MemoryWeights } from "./weight_source.ts";

/** A checkpoint ready for {@link buildDecoderGraph}. */
export interface ImportedDecoder {
  config: DecoderConfig;
  weights: MemoryWeights;
}

const HEADER_BYTES = 7 * 4;

/**
 * llama2.c rotates interleaved pairs (x[2i], x[2i+1]) of each head; Hugging Face's rotate-half pairs (x[i], x[i+hd/2]).
 * Reordering the rows of wq and wk within each head (row 2i -> i, row 2i+1 -> i + hd/2) makes the two agree.
 */
function permuteForRotateHalf(w: Float32Array, heads: number, headDim: number, inFeatures: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < headDim; r++) {
      const source = r < headDim / 2 ? 2 * r : 2 * (r - headDim / 2) + 1;
      const from = (h * headDim + source) * inFeatures;
      out.set(w.subarray(from, from + inFeatures), (h * headDim + r) * inFeatures);
    }
  }
  return out;
}

/**
 * Reads a llama2.c `.bin` checkpoint. A positive vocab size in the header means the classifier shares the token
 * embedding; a negative one means a separate classifier follows the RoPE tables.
 *
 * @example
 * ```ts
 * const { config, weights } = await readLlama2cCheckpoint("../shared/models/stories260K/stories260K.bin");
 * ```
 */
export async function readLlama2cCheckpoint(path: string): Promise<ImportedDecoder> {
  const bytes = await Deno.readFile(path);
  if (bytes.length < HEADER_BYTES) {
    throw new DataError(
      path,
      {},
      `file has ${bytes.length} bytes`,
      `a llama2.c checkpoint: a ${HEADER_BYTES}-byte header and weights`,
    );
  }
  const header = new Int32Array(bytes.buffer, bytes.byteOffset, 7).slice();
  const [dim, hiddenDim, numLayers, numHeads, numKvHeads, signedVocab, seqLen] = header;
  const vocab = Math.abs(signedVocab);
  const shared = signedVocab > 0;
  const consistent = [dim, hiddenDim, numLayers, numHeads, numKvHeads, vocab, seqLen].every((v) => v > 0) &&
    dim % numHeads === 0 && (dim / numHeads) % 2 === 0 && numHeads % numKvHeads === 0;
  if (!consistent) {
    throw new DataError(
      path,
      {},
      `header [${Array.from(header).join(", ")}] is not a llama2.c checkpoint header`,
      "positive dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; an even head size dim / n_heads; " +
        "n_heads a multiple of n_kv_heads",
    );
  }
  const headDim = dim / numHeads;
  const kvDim = numKvHeads * headDim;
  const sections: [string, number[]][] = [
    ["token_embedding", [vocab, dim]],
    ["rms_att", [numLayers, dim]],
    ["wq", [numLayers, dim, dim]],
    ["wk", [numLayers, kvDim, dim]],
    ["wv", [numLayers, kvDim, dim]],
    ["wo", [numLayers, dim, dim]],
    ["rms_ffn", [numLayers, dim]],
    ["w1", [numLayers, hiddenDim, dim]],
    ["w2", [numLayers, dim, hiddenDim]],
    ["w3", [numLayers, hiddenDim, dim]],
    ["rms_final", [dim]],
    ["freq_cis", [2, seqLen, headDim / 2]],
    ...(shared ? [] : [["wcls", [vocab, dim]] as [string, number[]]]),
  ];
  const floats = sections.reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.length !== HEADER_BYTES + floats * 4) {
    throw new DataError(
      path,
      {},
      `file has ${bytes.length} bytes but its header (dim ${dim}, layers ${numLayers}, vocab ${signedVocab}) implies ${
        HEADER_BYTES + floats * 4
      }`,
      "a complete llama2.c checkpoint (is the file truncated?)",
    );
  }
  // Deno.readFile's buffer starts at offset 0 and the weights at byte 28 (4-aligned): a view, no copy.
  const all = new Float32Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, floats);
  const section = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, shape] of sections) {
    const size = shape.reduce((a, b) => a * b, 1);
    section.set(name, all.subarray(offset, offset + size));
    offset += size;
  }
  const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
  const put = (name: string, data: Float32Array, shape: number[]) => tensors.set(name, { data, shape });
  const layerSlice = (name: string, layer: number, rows: number, cols = 1) =>
    section.get(name)!.subarray(layer * rows * cols, (layer + 1) * rows * cols);
  put("model.embed_tokens.weight", section.get("token_embedding")!, [vocab, dim]);
  for (let l = 0; l < numLayers; l++) {
    const p = `model.layers.${l}`;
    put(`${p}.input_layernorm.weight`, layerSlice("rms_att", l, dim), [dim]);
    put(`${p}.self_attn.q_proj.weight`, permuteForRotateHalf(layerSlice("wq", l, dim, dim), numHeads, headDim, dim), [
      dim,
      dim,
    ]);
    put(
      `${p}.self_attn.k_proj.weight`,
      permuteForRotateHalf(layerSlice("wk", l, kvDim, dim), numKvHeads, headDim, dim),
      [kvDim, dim],
    );
    put(`${p}.self_attn.v_proj.weight`, layerSlice("wv", l, kvDim, dim), [kvDim, dim]);
    put(`${p}.self_attn.o_proj.weight`, layerSlice("wo", l, dim, dim), [dim, dim]);
    put(`${p}.post_attention_layernorm.weight`, layerSlice("rms_ffn", l, dim), [dim]);
    put(`${p}.mlp.gate_proj.weight`, layerSlice("w1", l, hiddenDim, dim), [hiddenDim, dim]);
    put(`${p}.mlp.down_proj.weight`, layerSlice("w2", l, dim, hiddenDim), [dim, hiddenDim]);
    put(`${p}.mlp.up_proj.weight`, layerSlice("w3", l, hiddenDim, dim), [hiddenDim, dim]);
  }
  put("model.norm.weight", section.get("rms_final")!, [dim]);
  if (!shared) put("lm_head.weight", section.get("wcls")!, [vocab, dim]);
  const config: DecoderConfig = {
    architecture: "llama",
    vocabSize: vocab,
    hiddenSize: dim,
    intermediateSize: hiddenDim,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositions: seqLen,
    tieEmbeddings: shared,
    activation: "silu",
    attentionScale: headDim ** -0.5,
    slidingWindow: Array.from({ length: numLayers }, () => undefined),
    embeddingScale: 1,
    normOffset: 0,
    postNorms: false,
    bosId: 1,
    eosId: 2,
  };
  return { config, weights: new MemoryWeights(path, tensors) };
}
