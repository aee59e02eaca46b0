/**
 * A Llama decoder in TensorFlow.js, for training: the same computation the forward module's ONNX graph runs on a
 * Hugging Face Llama checkpoint (RMSNorm, rotate-half RoPE, grouped-query causal attention, SwiGLU MLP, tied or
 * separate output projection), with its parameters held as tfjs variables under their Hugging Face names, so that
 * what is trained here is saved and loaded without renaming or transposing anything.
 *
 * Inputs are right-padded `[batch, seqLen]` rows, as `padBatch` of `@saeflow/tokenize` makes them. No key mask is
 * applied: causality alone keeps every real position off the padding that follows it, and what padding positions
 * compute is never read (their logits are unspecified, as in the ONNX graph).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError, DataError } from "@saeflow/core";
import { ropeInverseFrequencies } from "@saeflow/forward";
import { checkLlamaConfig, type LlamaConfig, llamaHeadDim } from "./llama_config.ts";
import { initLlamaParams, type LlamaParams, llamaParamsProblem } from "./llama_params.ts";

/** Added to the attention logits of future keys: finite, so the softmax and its gradient stay NaN-free. */
const MASKED_LOGIT = -1e9;

/** Distinguishes the variables of models living in one process (tfjs refuses two variables of one name). */
let instances = 0;

/** A Llama model whose parameters are tfjs variables. Call {@link LlamaModel.dispose} when done with it. */
export class LlamaModel {
  private constructor(
    readonly config: Readonly<LlamaConfig>,
    /** The trainable parameters by Hugging Face tensor name (projections `[out, in]`). */
    readonly variables: Readonly<Record<string, tf.Variable>>,
  ) {}

  /**
   * A model with seeded initial parameters ({@link initLlamaParams}: GPT-2's initialisation).
   *
   * @example
   * ```ts
   * await startTfjsBackend("wasm");
   * const model = LlamaModel.init(config, 2025);
   * ```
   */
  static init(config: LlamaConfig, seed: number): LlamaModel {
    return LlamaModel.fromParams(config, initLlamaParams(config, seed));
  }

  /**
   * A model with the given parameters (copied into variables), checked against `config`.
   *
   * @example
   * ```ts
   * const { config, params } = await loadLlamaParams("out/lm");
   * const model = LlamaModel.fromParams(config, params);
   * ```
   */
  static fromParams(config: LlamaConfig, params: LlamaParams): LlamaModel {
    const checked = checkLlamaConfig(config);
    const problem = llamaParamsProblem(checked, params);
    if (problem) throw new ConfigError(`LlamaModel: ${problem}`);
    const prefix = `llama${instances++}`;
    const variables: Record<string, tf.Variable> = {};
    for (const [name, { shape, data }] of Object.entries(params)) {
      const initial = tf.tensor(data, shape, "float32");
      variables[name] = tf.variable(initial, true, `${prefix}/${name}`);
      initial.dispose(); // the variable keeps its own reference to the values
    }
    return new LlamaModel(checked, variables);
  }

  /**
   * Next-token logits `[batch, seqLen, vocabSize]` of right-padded `ids` (`[batch, seqLen]` row-major). The caller
   * disposes the result.
   *
   * @example
   * ```ts
   * const tokens = padBatch([[1, 72, 105], [1, 33]], { padId: 0, hasBos: true });
   * const logits = model.logits(tokens.ids, tokens.batchSize, tokens.seqLen);
   * ```
   */
  logits(ids: Int32Array, batch: number, seqLen: number): tf.Tensor3D {
    this.checkIds(ids, batch, seqLen);
    return tf.tidy(() => this.forward(ids, batch, seqLen).reshape([batch, seqLen, this.config.vocabSize]));
  }

  /**
   * Mean next-token cross-entropy (nats) over the real positions: position t of a row scores its prediction of
   * token t + 1 when `mask` (`[batch, seqLen]`, 1 on real tokens) marks both real. The caller disposes the result.
   *
   * @example
   * ```ts
   * const loss = model.loss(tokens.ids, tokens.mask, tokens.batchSize, tokens.seqLen);
   * console.log(loss.dataSync()[0]);
   * ```
   */
  loss(ids: Int32Array, mask: Uint8Array, batch: number, seqLen: number): tf.Scalar {
    this.checkIds(ids, batch, seqLen);
    if (mask.length !== batch * seqLen) {
      throw new DataError(
        "LlamaModel.loss",
        {},
        `mask has ${mask.length} entries`,
        `batch × seqLen = ${batch * seqLen}`,
      );
    }
    const targets = new Int32Array(batch * seqLen);
    const weights = new Float32Array(batch * seqLen);
    let count = 0;
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t + 1 < seqLen; t++) {
        const i = b * seqLen + t;
        if (mask[i] && mask[i + 1]) {
          targets[i] = ids[i + 1];
          weights[i] = 1;
          count++;
        }
      }
    }
    if (count === 0) {
      throw new DataError(
        "LlamaModel.loss",
        {},
        "no position has a real next token",
        "a row with at least two real tokens",
      );
    }
    return tf.tidy(() => {
      const logProbs = tf.logSoftmax(this.forward(ids, batch, seqLen));
      const picked = logProbs.mul(oneHotFloat(targets, this.config.vocabSize)).sum(-1);
      return picked.mul(tf.tensor1d(weights)).sum().div(-count) as tf.Scalar;
    });
  }

  /**
   * The loss and its gradient for every parameter, by Hugging Face name. The caller disposes all of them.
   *
   * @example
   * ```ts
   * const { loss, grads } = model.lossAndGrads(tokens.ids, tokens.mask, tokens.batchSize, tokens.seqLen);
   * ```
   */
  lossAndGrads(
    ids: Int32Array,
    mask: Uint8Array,
    batch: number,
    seqLen: number,
  ): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const entries = Object.entries(this.variables);
    const { value, grads } = tf.variableGrads(() => this.loss(ids, mask, batch, seqLen), entries.map(([, v]) => v));
    return { loss: value, grads: Object.fromEntries(entries.map(([name, v]) => [name, grads[v.name]])) };
  }

  /**
   * A copy of the current parameters as float32 arrays (what `saveLlamaFolder` writes).
   *
   * @example
   * ```ts
   * await saveLlamaFolder("out/lm", model.config, await model.toParams(), byteTokenizerFiles());
   * ```
   */
  async toParams(): Promise<LlamaParams> {
    const params: LlamaParams = {};
    for (const [name, variable] of Object.entries(this.variables)) {
      // A copy: some backends hand out their own buffer, which the next update would overwrite.
      params[name] = { shape: [...variable.shape], data: new Float32Array(await variable.data<"float32">()) };
    }
    return params;
  }

  /** Frees the variables. */
  dispose(): void {
    for (const variable of Object.values(this.variables)) variable.dispose();
  }

  private checkIds(ids: Int32Array, batch: number, seqLen: number): void {
    if (!Number.isInteger(batch) || batch <= 0 || !Number.isInteger(seqLen) || seqLen <= 0) {
      throw new DataError("LlamaModel", {}, `batch ${batch} × seqLen ${seqLen}`, "positive integers");
    }
    if (ids.length !== batch * seqLen) {
      throw new DataError("LlamaModel", {}, `ids has ${ids.length} entries`, `batch × seqLen = ${batch * seqLen}`);
    }
    if (seqLen > this.config.maxSeqLen) {
      throw new DataError("LlamaModel", {}, `rows of ${seqLen} tokens`, `at most maxSeqLen ${this.config.maxSeqLen}`);
    }
    const { vocabSize } = this.config;
    for (let i = 0; i < ids.length; i++) {
      // tfjs's gather does not check indices: an id past the vocabulary would read another row or zeros.
      if (!(ids[i] >= 0 && ids[i] < vocabSize)) {
        throw new DataError(
          "LlamaModel",
          { row: Math.floor(i / seqLen) + 1 },
          `token id ${ids[i]} at position ${i % seqLen}`,
          `an id in [0, ${vocabSize})`,
        );
      }
    }
  }

  /** Logits `[batch * seqLen, vocab]`; call inside a tidy. */
  private forward(ids: Int32Array, batch: number, seqLen: number): tf.Tensor2D {
    const { nLayers, nHeads: H, nKvHeads: KV, rmsNormEps, tieEmbeddings } = this.config;
    const hd = llamaHeadDim(this.config);
    const w = this.variables;
    const { cos, sin } = ropeTables(this.config, seqLen);
    const mask = causalMask(H / KV, seqLen);
    const scale = hd ** -0.5;
    const norm = (x: tf.Tensor2D, weight: tf.Tensor) =>
      x.div(x.square().mean(-1, true).add(rmsNormEps).sqrt()).mul(weight) as tf.Tensor2D;
    const project = (x: tf.Tensor2D, weight: tf.Tensor): tf.Tensor2D =>
      tf.matMul(x, weight as tf.Tensor2D, false, true);
    /** `[B*T, n*hd]` → `[B, n, T, hd]`. */
    const heads = (x: tf.Tensor2D, n: number) => x.reshape([batch, seqLen, n, hd]).transpose([0, 2, 1, 3]);
    const rope = (x: tf.Tensor) => {
      const [first, second] = tf.split(x, 2, -1);
      return x.mul(cos).add(tf.concat([second.neg(), first], -1).mul(sin));
    };

    let x = embed(w["model.embed_tokens.weight"], ids, this.config.vocabSize); // [B*T, D]
    for (let layer = 0; layer < nLayers; layer++) {
      const p = `model.layers.${layer}`;
      const h = norm(x, w[`${p}.input_layernorm.weight`]);
      // The G = H / KV query heads that share a kv head stacked as rows of one [B, KV, G*T, hd] matrix (query head
      // j*G+g reads kv head j, as Hugging Face's repeat_kv does), so both products are plain batched matmuls.
      const q = rope(heads(project(h, w[`${p}.self_attn.q_proj.weight`]), H)).reshape([batch, KV, -1, hd]);
      const k = rope(heads(project(h, w[`${p}.self_attn.k_proj.weight`]), KV));
      const v = heads(project(h, w[`${p}.self_attn.v_proj.weight`]), KV);
      const scores = tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true).mul(scale).add(mask);
      const context = tf.matMul(tf.softmax(scores), v as tf.Tensor4D) // [B, KV, G*T, hd]
        .reshape([batch, H, seqLen, hd])
        .transpose([0, 2, 1, 3])
        .reshape([batch * seqLen, H * hd]) as tf.Tensor2D;
      x = x.add(project(context, w[`${p}.self_attn.o_proj.weight`]));
      const h2 = norm(x, w[`${p}.post_attention_layernorm.weight`]);
      const gate = project(h2, w[`${p}.mlp.gate_proj.weight`]);
      const gated = gate.mul(gate.sigmoid()).mul(project(h2, w[`${p}.mlp.up_proj.weight`])) as tf.Tensor2D;
      x = x.add(project(gated, w[`${p}.mlp.down_proj.weight`]));
    }
    const head = w[tieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"];
    return project(norm(x, w["model.norm.weight"]), head);
  }
}

/**
 * The rows of `table` `[vocab, D]` for `ids`. tfjs differentiates gather through UnsortedSegmentSum, which the wasm
 * backend lacks; the gradient here is the same sum as one matmul, `oneHot(ids)ᵀ · dy`, which every backend runs.
 */
function embed(table: tf.Tensor, ids: Int32Array, vocabSize: number): tf.Tensor2D {
  const gather = tf.customGrad((t) => ({
    value: tf.gather(t as tf.Tensor2D, tf.tensor1d(ids, "int32")),
    // An int32 one-hot cast to float: tfjs-wasm 4.22's OneHot asked for float32 writes int32 bits into it.
    gradFunc: (dy) => tf.matMul(oneHotFloat(ids, vocabSize), dy as tf.Tensor2D, true, false),
  }));
  return gather(table) as tf.Tensor2D;
}

/** `[ids.length, depth]` one-hot rows, float32. */
function oneHotFloat(ids: Int32Array, depth: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(ids, "int32"), depth).toFloat() as tf.Tensor2D;
}

/**
 * Rotate-half RoPE tables `[seqLen, headDim]` (each half repeats the `headDim / 2` angles), with the inverse
 * frequencies and float32 angles of the forward module's graph, so both compute the same rotation.
 */
function ropeTables(config: LlamaConfig, seqLen: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const hd = llamaHeadDim(config);
  const inverse = ropeInverseFrequencies({ headDim: hd, ropeTheta: config.ropeTheta });
  const cos = new Float32Array(seqLen * hd);
  const sin = new Float32Array(seqLen * hd);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < hd / 2; i++) {
      const angle = Math.fround(t * inverse[i]);
      cos[t * hd + i] = cos[t * hd + i + hd / 2] = Math.cos(angle);
      sin[t * hd + i] = sin[t * hd + i + hd / 2] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [seqLen, hd]), sin: tf.tensor2d(sin, [seqLen, hd]) };
}

/** The additive causal mask `[groups * seqLen, seqLen]` for the stacked query rows of one kv head. */
function causalMask(groups: number, seqLen: number): tf.Tensor2D {
  const mask = new Float32Array(groups * seqLen * seqLen);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < seqLen; i++) {
      mask.fill(MASKED_LOGIT, ((g * seqLen) + i) * seqLen + i + 1, ((g * seqLen) + i + 1) * seqLen);
    }
  }
  return tf.tensor2d(mask, [groups * seqLen, seqLen]);
}
