/**
 * The tfjs Llama against the forward module's ONNX graph: a seeded model saved as a Hugging Face folder with the byte
 * tokenizer and loaded by `loadDecoder` gives the tfjs logits at every real position of a padded batch (tied and
 * separate output projections, multi-head and grouped-query attention, both attention kernels). The loss against a
 * naive float64 cross-entropy, gradients for every parameter, memorisation of one batch by Adam without tensor leaks,
 * seeded determinism, the initialisation's statistics, a bit-exact save/load round trip, and the config's errors.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ConfigError, DataError, mulberry32, standardNormal } from "@saeflow/core";
import { loadDecoder } from "@saeflow/forward";
import {
  checkLlamaConfig,
  fromHfConfig,
  initLlamaParams,
  isNormWeight,
  type LlamaConfig,
  LlamaModel,
  type LlamaParams,
  llamaParamShapes,
  loadLlamaParams,
  saveLlamaFolder,
  toHfConfig,
} from "@saeflow/lm";
import { startTfjsBackend } from "@saeflow/sae";
import { BYTE_TOKENIZER_SPECIALS, byteTokenizerFiles, padBatch, type TokenBatch } from "@saeflow/tokenize";
import { tempDir } from "../helpers.ts";

await startTfjsBackend("wasm");

const tiny = (overrides: Partial<LlamaConfig> = {}): LlamaConfig => ({
  vocabSize: 300,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 4,
  dFf: 64,
  maxSeqLen: 64,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tieEmbeddings: false,
  ...overrides,
});

/** Byte-tokenizer rows (`<bos>` then UTF-8 bytes + 3) of different lengths, right-padded. */
function textBatch(texts: string[]): TokenBatch {
  const rows = texts.map((text) => [BYTE_TOKENIZER_SPECIALS.bos, ...new TextEncoder().encode(text).map((b) => b + 3)]);
  return padBatch(rows, { padId: BYTE_TOKENIZER_SPECIALS.pad, hasBos: true });
}

const TEXTS = [
  "The quick brown fox jumps over the lazy dog.",
  "Hello, world!",
  "naïve café — 42",
  "ab",
];

/**
 * Parameters that make every part of the computation show in the logits: GPT-2's 0.02 leaves attention nearly
 * uniform and logits near 0, where a wrong rotation or mask would hide under the tolerance. Unit-variance embeddings,
 * 1/sqrt(fan-in) projections (attention scores of a few units) and norm scales away from 1.
 */
function liveParams(config: LlamaConfig, seed: number): LlamaParams {
  const params = initLlamaParams(config, seed, (name, shape) => name.includes("embed") ? 1 : 1 / Math.sqrt(shape[1]));
  const gaussian = standardNormal(mulberry32(seed + 1));
  for (const [name, param] of Object.entries(params)) {
    if (isNormWeight(name)) param.data = param.data.map(() => 1 + 0.5 * gaussian());
  }
  return params;
}

Deno.test("LlamaModel: the saved folder loaded by loadDecoder gives the tfjs logits at every real position", async () => {
  const tokens = textBatch(TEXTS);
  const variants: [string, LlamaConfig][] = [
    ["untied", tiny()],
    ["tied", tiny({ tieEmbeddings: true, rmsNormEps: 1e-6 })],
    ["GQA", tiny({ nKvHeads: 2, ropeTheta: 500 })],
    ["GQA tied", tiny({ nKvHeads: 2, tieEmbeddings: true })],
  ];
  const V = 300;
  for (const [label, config] of variants) {
    await using dir = await tempDir();
    const model = LlamaModel.fromParams(config, liveParams(config, 11));
    await saveLlamaFolder(dir.path, config, await model.toParams(), byteTokenizerFiles());
    const logitsTensor = model.logits(tokens.ids, tokens.batchSize, tokens.seqLen);
    const expected = logitsTensor.dataSync() as Float32Array;
    logitsTensor.dispose();
    model.dispose();
    let spread = 0;
    for (const attention of ["fused", "standard"] as const) {
      const forward = await loadDecoder(dir.path, { hooks: [], logits: true, attention });
      try {
        const actual = (await forward.run(tokens)).logits!;
        let maxDiff = 0;
        for (let b = 0; b < tokens.batchSize; b++) {
          for (let t = 0; t < tokens.lengths[b]; t++) {
            const at = (b * tokens.seqLen + t) * V;
            for (let v = 0; v < V; v++) {
              maxDiff = Math.max(maxDiff, Math.abs(actual[at + v] - expected[at + v]));
              spread = Math.max(spread, Math.abs(expected[at + v]));
            }
          }
        }
        console.log(`${label} ${attention}: max |onnx - tfjs| = ${maxDiff.toExponential(2)}`);
        assert.ok(maxDiff < 1e-4, `${label} (${attention} attention): max diff ${maxDiff}`);
      } finally {
        await forward.release();
      }
    }
    assert.ok(spread > 3, `${label}: logits reach ${spread}, large enough for the comparison to mean something`);
  }
});

Deno.test("LlamaModel.loss: mean next-token cross-entropy over real pairs, as a naive float64 one; padding is ignored", () => {
  const config = tiny({ nKvHeads: 2 });
  const model = LlamaModel.fromParams(config, liveParams(config, 3));
  try {
    const tokens = textBatch(TEXTS);
    const { ids, mask, batchSize: B, seqLen: T } = tokens;
    const logits = model.logits(ids, B, T);
    const values = logits.dataSync();
    logits.dispose();
    let sum = 0;
    let count = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < tokens.lengths[b]; t++) {
        const row = Array.from(values.subarray((b * T + t) * 300, (b * T + t + 1) * 300));
        const max = Math.max(...row);
        const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        sum += logZ - row[ids[b * T + t + 1]];
        count++;
      }
    }
    assert.equal(count, tokens.lengths.reduce((s, l) => s + l - 1, 0));
    const loss = model.loss(ids, mask, B, T);
    const value = loss.dataSync()[0];
    loss.dispose();
    assert.ok(Math.abs(value - sum / count) < 1e-5 * (sum / count), `tfjs ${value}, float64 ${sum / count}`);

    // Whatever the padding holds, real positions neither attend to it nor predict it.
    const repadded = ids.map((id, i) => mask[i] ? id : 200 + (i % 50));
    const again = model.loss(repadded, mask, B, T);
    assert.equal(again.dataSync()[0], value);
    again.dispose();

    // A one-token row predicts nothing; a batch of them is refused rather than divided by zero.
    const single = textBatch([""]);
    assert.throws(() => model.loss(single.ids, single.mask, 1, 1), DataError);
    assert.throws(() => model.logits(Int32Array.of(1, 300), 1, 2), /token id 300/);
    assert.throws(() => model.logits(new Int32Array(65), 1, 65), /maxSeqLen 64/);
  } finally {
    model.dispose();
  }
});

Deno.test("LlamaModel: every parameter gets a finite gradient, and Adam memorises one batch without leaking tensors", () => {
  const before = tf.memory().numTensors;
  for (const config of [tiny({ nKvHeads: 2 }), tiny({ tieEmbeddings: true })]) {
    const model = LlamaModel.init(config, 5);
    const tokens = textBatch(TEXTS);
    const { ids, mask, batchSize: B, seqLen: T } = tokens;
    const { loss, grads } = model.lossAndGrads(ids, mask, B, T);
    assert.deepEqual(Object.keys(grads).sort(), Object.keys(llamaParamShapes(config)).sort());
    for (const [name, grad] of Object.entries(grads)) {
      assert.deepEqual(grad.shape, model.variables[name].shape, name);
      const values = grad.dataSync();
      assert.ok(values.every(Number.isFinite), `${name}: finite gradient`);
      assert.ok(values.some((v) => v !== 0), `${name}: a gradient that is not all zeros`);
    }
    const initial = loss.dataSync()[0];
    // GPT-2's initialisation predicts nearly uniformly over the vocabulary.
    assert.ok(Math.abs(initial - Math.log(300)) < 0.1, `initial loss ${initial}`);
    tf.dispose([loss, ...Object.values(grads)]);

    const optimizer = tf.train.adam(0.01);
    const started = performance.now();
    let last = initial;
    let tensors = 0;
    for (let step = 0; step < 60; step++) {
      const value = optimizer.minimize(() => model.loss(ids, mask, B, T), true, Object.values(model.variables))!;
      last = value.dataSync()[0];
      value.dispose();
      if (step === 0) tensors = tf.memory().numTensors; // Adam's moments exist from the first step on
      else assert.equal(tf.memory().numTensors, tensors, `tensors leaked by step ${step + 1}`);
    }
    console.log(
      `tied=${config.tieEmbeddings} nKvHeads=${config.nKvHeads}: loss ${initial.toFixed(3)} → ${last.toFixed(3)} ` +
        `in 60 Adam steps (${((performance.now() - started) / 60).toFixed(1)} ms/step, ${B}×${T} tokens)`,
    );
    assert.ok(last < 0.5, `memorised: loss ${last} after 60 steps`);
    optimizer.dispose();
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("LlamaModel.lossAndGrads: gradients match central differences of the loss", () => {
  // On the live parameters, where every gradient is large enough to measure in float32 (GPT-2's initialisation leaves
  // the attention projections' gradients near the loss's rounding noise). The embedding's gradient is computed by
  // hand (see llama_tfjs.ts), so it is checked for both a tied and an untied model.
  for (const config of [tiny({ nKvHeads: 2 }), tiny({ tieEmbeddings: true })]) {
    const model = LlamaModel.fromParams(config, liveParams(config, 9));
    const { ids, mask, batchSize: B, seqLen: T } = textBatch(TEXTS);
    const { loss, grads } = model.lossAndGrads(ids, mask, B, T);
    let worst = 0;
    const names = [
      "model.embed_tokens.weight",
      "model.layers.0.self_attn.q_proj.weight",
      "model.layers.0.self_attn.k_proj.weight",
      "model.layers.1.mlp.down_proj.weight",
      "model.norm.weight",
    ];
    for (const name of names) {
      const g = grads[name].dataSync() as Float32Array;
      const at = g.reduce((best, v, i) => Math.abs(v) > Math.abs(g[best]) ? i : best, 0);
      const variable = model.variables[name];
      const original = (variable.dataSync() as Float32Array).slice();
      const lossWith = (delta: number) => {
        const moved = original.slice();
        moved[at] += delta;
        tf.tidy(() => variable.assign(tf.tensor(moved, variable.shape)));
        const l = model.loss(ids, mask, B, T);
        const value = l.dataSync()[0];
        l.dispose();
        return value;
      };
      const eps = 1e-3;
      const numeric = (lossWith(eps) - lossWith(-eps)) / (2 * eps);
      tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
      assert.ok(Math.abs(numeric - g[at]) < 0.02 * Math.abs(g[at]), `${name}[${at}]: ${g[at]} vs numeric ${numeric}`);
      worst = Math.max(worst, Math.abs(numeric - g[at]) / Math.abs(g[at]));
    }
    console.log(`tied=${config.tieEmbeddings}: worst relative gap to central differences ${worst.toExponential(2)}`);
    tf.dispose([loss, ...Object.values(grads)]);
    model.dispose();
  }
});

Deno.test("LlamaModel: a seed gives identical parameters; GPT-2's initialisation; the folder round-trips bit-exactly", async () => {
  const config = tiny({ nKvHeads: 2, nLayers: 3 });
  const [a, b, c] = [7, 7, 8].map((seed) => LlamaModel.init(config, seed));
  try {
    const [pa, pb, pc] = await Promise.all([a, b, c].map((m) => m.toParams()));
    assert.deepEqual(Object.keys(pa), Object.keys(llamaParamShapes(config)));
    for (const name of Object.keys(pa)) {
      assert.deepEqual(bytes(pa[name].data), bytes(pb[name].data), name);
      if (!isNormWeight(name)) assert.notDeepEqual(bytes(pa[name].data), bytes(pc[name].data), name);
    }
    const std = (data: Float32Array) => Math.sqrt(data.reduce((s, v) => s + v * v, 0) / data.length);
    assert.ok(pa["model.norm.weight"].data.every((v) => v === 1));
    assert.ok(Math.abs(std(pa["model.embed_tokens.weight"].data) / 0.02 - 1) < 0.05);
    assert.ok(Math.abs(std(pa["model.layers.1.self_attn.q_proj.weight"].data) / 0.02 - 1) < 0.1);
    const residual = 0.02 / Math.sqrt(6);
    assert.ok(Math.abs(std(pa["model.layers.2.self_attn.o_proj.weight"].data) / residual - 1) < 0.1);
    assert.ok(Math.abs(std(pa["model.layers.0.mlp.down_proj.weight"].data) / residual - 1) < 0.1);

    await using dir = await tempDir();
    await saveLlamaFolder(dir.path, config, pa, byteTokenizerFiles());
    const loaded = await loadLlamaParams(dir.path);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(Object.keys(loaded.params).sort(), Object.keys(pa).sort());
    for (const [name, { shape, data }] of Object.entries(pa)) {
      assert.deepEqual(loaded.params[name].shape, shape, name);
      assert.deepEqual(bytes(loaded.params[name].data), bytes(data), name);
    }
    assert.equal(await Deno.readTextFile(`${dir.path}/tokenizer.json`), byteTokenizerFiles().tokenizerJson);
    const reloaded = LlamaModel.fromParams(loaded.config, loaded.params);
    const [x, y] = [a, reloaded].map((m) => m.loss(Int32Array.of(1, 5, 9, 13), Uint8Array.of(1, 1, 1, 1), 1, 4));
    assert.equal(x.dataSync()[0], y.dataSync()[0]);
    tf.dispose([x, y]);
    reloaded.dispose();

    // A folder whose tensors do not fit its config.json is bad data, named as such.
    const json = JSON.parse(await Deno.readTextFile(`${dir.path}/config.json`));
    await Deno.writeTextFile(`${dir.path}/config.json`, JSON.stringify({ ...json, tie_word_embeddings: true }));
    await assert.rejects(loadLlamaParams(dir.path), (e) => e instanceof DataError && /lm_head\.weight/.test(e.message));
  } finally {
    for (const m of [a, b, c]) m.dispose();
  }
});

Deno.test("LlamaConfig: validation names the key; toHfConfig writes what the forward loader reads, and reads back", () => {
  const bad: [Partial<LlamaConfig>, RegExp][] = [
    [{ vocabSize: 0 }, /vocabSize/],
    [{ nLayers: 1.5 }, /nLayers/],
    [{ nHeads: 5 }, /nHeads 5/],
    [{ nKvHeads: 3 }, /nKvHeads 3/],
    [{ rmsNormEps: -1 }, /rmsNormEps/],
    [{ ropeTheta: Number.NaN }, /ropeTheta/],
    [{ tieEmbeddings: "yes" as unknown as boolean }, /tieEmbeddings/],
  ];
  for (const [overrides, message] of bad) {
    assert.throws(() => checkLlamaConfig(tiny(overrides)), (e) => e instanceof ConfigError && message.test(e.message));
  }
  assert.throws(() => checkLlamaConfig(tiny({ dModel: 48, nHeads: 16 })), /even/); // heads 3 wide: RoPE needs pairs
  assert.doesNotThrow(() => checkLlamaConfig(tiny({ nHeads: 8, nKvHeads: 1 })));

  const config = tiny({ nKvHeads: 2, tieEmbeddings: true });
  const hf = toHfConfig(config);
  assert.deepEqual(hf, {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 64,
    vocab_size: 300,
    tie_word_embeddings: true,
    hidden_act: "silu",
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    torch_dtype: "float32",
  });
  assert.deepEqual(fromHfConfig(hf, "config.json"), config);
  assert.throws(() => fromHfConfig({ ...hf, model_type: "gpt2" }, "x/config.json"), /x\/config.json: model_type/);
  assert.throws(() => fromHfConfig({ ...hf, rope_scaling: { rope_type: "llama3" } }, "c"), /rope_scaling/);
  assert.throws(() => fromHfConfig({ ...hf, hidden_size: 33 }, "c"), ConfigError);
  assert.throws(
    () => LlamaModel.fromParams(config, initLlamaParams(tiny({ nKvHeads: 2 }), 1)),
    /lm_head\.weight.*tied/,
  );
});

const bytes = (data: Float32Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
