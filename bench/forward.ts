/**
 * Forward throughput on CPU: tokens/s, peak RSS, where the time goes (tokenization, int64 feeds, ONNX Runtime) and
 * the FLOP/s achieved against the machine's fp32 peak.
 *
 * 1. stories260K (the real llama2.c model) over the jailbreak-classification train file (real prompts, 128 tokens
 *    max), all 5 layers' resid_post in one pass, through TokenizeStream -> ForwardStream.
 * 2. A random Gemma-2-shaped model at real width (d=2304, 8 heads of 256, 4 kv heads, MLP 9216), 1 and 2 layers,
 *    batches of 8 x 128 tokens.
 *
 * Run: `./node_modules/.bin/deno run -A bench/forward.ts`
 */
import { ForwardStream, type ForwardTimings, loadDecoder, noTimings } from "@saeflow/forward";
import type { TextRecord } from "@saeflow/core";
import { openTextDataset, writeSafetensors } from "@saeflow/io";
import { loadLlama2cTokenizer, padBatch, TokenizeStream } from "@saeflow/tokenize";
import { format, saveResults } from "./lib.ts";

const SHARED = new URL("../../shared/", import.meta.url).pathname;
/** 2 cores x 2.45 GHz x 2 FMA units x 8 fp32 lanes x 2 FLOP (AVX2): what this machine's cores can do at most. */
const PEAK_GFLOPS = 2 * 2.45 * 2 * 8 * 2;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss)), 20);

/** Multiply-adds per token of one decoder layer (projections and MLP), plus attention over `seqLen` keys. */
function layerFlopsPerToken(d: number, heads: number, kvHeads: number, headDim: number, mlp: number, seqLen: number) {
  const projections = d * heads * headDim * 2 + d * kvHeads * headDim * 2;
  const attention = 2 * heads * headDim * seqLen; // q·k and p·v, on average over causal positions ~ seqLen/2 each side
  return 2 * (projections + 3 * d * mlp + attention / 2);
}

function shares(t: ForwardTimings, tokenizeMs: number, totalMs: number) {
  const other = totalMs - tokenizeMs - t.feedMs - t.runMs;
  const pct = (ms: number) => `${format((100 * ms) / totalMs, 1)}%`;
  return {
    "tokenize": pct(tokenizeMs),
    "feeds (int64 copy)": pct(t.feedMs),
    "ORT (+ output copy)": pct(t.runMs),
    "stream/other": pct(Math.max(0, other)),
  };
}

/** The jailbreak train prompts, `passes` times over (ids made unique per pass): a longer stream of the same data. */
async function* jailbreakPrompts(passes: number): AsyncGenerator<TextRecord> {
  for (let pass = 0; pass < passes; pass++) {
    const { records } = await openTextDataset({
      sources: [{ path: `${SHARED}data/jailbreak-classification/jailbreak_dataset_train_balanced.csv` }],
      fields: { text: "prompt", label: "type" },
    });
    for await (const record of records) yield { ...record, id: `${pass}:${record.id}` };
  }
}

async function storiesRun(passes: number) {
  const tokenizer = await loadLlama2cTokenizer(`${SHARED}models/stories260K/tok512.bin`);
  const model = await loadDecoder(`${SHARED}models/stories260K/stories260K.bin`, {
    hooks: [0, 1, 2, 3, 4].map((l) => `blocks.${l}.hook_resid_post`),
  });
  let tokenizeMs = 0;
  // Same tokenizer, with its encode timed (prototype-linked, so every other property is the original's).
  const timedTokenizer: typeof tokenizer = Object.create(tokenizer);
  timedTokenizer.encode = (text, options) => {
    const start = performance.now();
    const ids = tokenizer.encode(text, options);
    tokenizeMs += performance.now() - start;
    return ids;
  };
  const start = performance.now();
  await ReadableStream.from(jailbreakPrompts(passes))
    .pipeThrough(new TokenizeStream({ tokenizer: timedTokenizer, maxTokens: 128, batchSize: 32 }))
    .pipeThrough(new ForwardStream({ model }))
    .pipeTo(new WritableStream());
  const totalMs = performance.now() - start;
  const t = model.timings;
  const { hiddenSize: d, numHeads, numKvHeads, headDim, intermediateSize, numLayers } = model.info.config!;
  const flops = t.paddedTokens * numLayers * layerFlopsPerToken(d, numHeads, numKvHeads, headDim, intermediateSize, 64);
  await model.release();
  return {
    model: `stories260K (d=64, 5 layers, all hooked), jailbreak train x${passes}`,
    "graph + session start s": "-",
    batches: t.batches,
    "real tokens": t.tokens,
    "padded tokens": t.paddedTokens,
    "tokens/s (end to end)": format(t.tokens / (totalMs / 1000)),
    "tokens/s (ORT only)": format(t.tokens / (t.runMs / 1000)),
    "GFLOP/s (ORT)": format(flops / t.runMs / 1e6, 3),
    ...shares(t, tokenizeMs, totalMs),
    "peak RSS MB": format(peakRss / 2 ** 20),
  };
}

/** A Gemma 2 2B-wide model with `layers` layers of random weights and a small vocabulary. */
async function gemmaRun(layers: number): Promise<Record<string, string | number>> {
  const d = 2304, heads = 8, kvHeads = 4, headDim = 256, mlp = 9216, vocab = 4096;
  let seed = 1;
  const random = (n: number, std: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      out[i] = ((seed / 2 ** 32) - 0.5) * std * 3.46;
    }
    return out;
  };
  // Written as a Hugging Face folder and loaded like a real checkpoint: weights stay on disk (external data), so the
  // RSS below is ONNX Runtime's, not a JS copy of the weights.
  const dir = await Deno.makeTempDir({ prefix: "saeflow-bench-" });
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  const put = (name: string, shape: number[], std: number) =>
    tensors[name] = { shape, data: random(shape.reduce((a, b) => a * b, 1), std) };
  put("model.embed_tokens.weight", [vocab, d], 0.02);
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    for (
      const n of [
        "input_layernorm",
        "post_attention_layernorm",
        "pre_feedforward_layernorm",
        "post_feedforward_layernorm",
      ]
    ) {
      put(`${p}.${n}.weight`, [d], 0.1);
    }
    put(`${p}.self_attn.q_proj.weight`, [heads * headDim, d], d ** -0.5);
    put(`${p}.self_attn.k_proj.weight`, [kvHeads * headDim, d], d ** -0.5);
    put(`${p}.self_attn.v_proj.weight`, [kvHeads * headDim, d], d ** -0.5);
    put(`${p}.self_attn.o_proj.weight`, [d, heads * headDim], (heads * headDim) ** -0.5);
    put(`${p}.mlp.gate_proj.weight`, [mlp, d], d ** -0.5);
    put(`${p}.mlp.up_proj.weight`, [mlp, d], d ** -0.5);
    put(`${p}.mlp.down_proj.weight`, [d, mlp], mlp ** -0.5);
  }
  await writeSafetensors(`${dir}/model.safetensors`, tensors);
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      model_type: "gemma2",
      vocab_size: vocab,
      hidden_size: d,
      intermediate_size: mlp,
      num_hidden_layers: layers,
      num_attention_heads: heads,
      num_key_value_heads: kvHeads,
      head_dim: headDim,
      rms_norm_eps: 1e-6,
      max_position_embeddings: 8192,
      hidden_activation: "gelu_pytorch_tanh",
      query_pre_attn_scalar: 256,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      sliding_window: 4096,
    }),
  );
  // Measured in a fresh process, so that its peak RSS is the model's, not this process's generated weights.
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "--measure-gemma", dir, String(layers)],
    stderr: "inherit",
  }).output();
  await Deno.remove(dir, { recursive: true });
  if (!child.success) throw new Error("the measuring process failed");
  return JSON.parse(new TextDecoder().decode(child.stdout));
}

/** Child-process half of {@link gemmaRun}: load the folder, run 5 batches of 8 x 128 tokens, report the row. */
async function measureGemma(dir: string, layers: number) {
  const d = 2304, heads = 8, kvHeads = 4, headDim = 256, mlp = 9216, vocab = 4096, batch = 8, seqLen = 128;
  const layerParams = d * heads * headDim * 2 + d * kvHeads * headDim * 2 + 3 * d * mlp;
  const buildStart = performance.now();
  const model = await loadDecoder(dir, {
    hooks: Array.from({ length: layers }, (_, l) => `blocks.${l}.hook_resid_post`),
  });
  const buildMs = performance.now() - buildStart;
  const rows = Array.from(
    { length: batch },
    (_, r) => Array.from({ length: seqLen }, (_, t) => (r * 131 + t * 17) % vocab),
  );
  const tokens = padBatch(rows, { padId: 0, hasBos: false });
  await model.run(tokens); // warm-up
  Object.assign(model.timings, noTimings());
  const start = performance.now();
  for (let i = 0; i < 5; i++) await model.run(tokens);
  const totalMs = performance.now() - start;
  const t = model.timings;
  const flops = t.paddedTokens * layers * layerFlopsPerToken(d, heads, kvHeads, headDim, mlp, seqLen);
  await model.release();
  return {
    model: `random Gemma 2 shape (d=2304), ${layers} layer${layers > 1 ? "s" : ""}, ${
      format(layerParams / 1e6, 0)
    }M params/layer`,
    batches: t.batches,
    "real tokens": t.tokens,
    "padded tokens": t.paddedTokens,
    "tokens/s (end to end)": format(t.tokens / (totalMs / 1000)),
    "tokens/s (ORT only)": format(t.tokens / (t.runMs / 1000)),
    "GFLOP/s (ORT)": format(flops / t.runMs / 1e6, 1),
    ...shares(t, 0, totalMs),
    "peak RSS MB": format(peakRss / 2 ** 20),
    "graph + session start s": format(buildMs / 1000, 1),
  };
}

if (Deno.args[0] === "--measure-gemma") {
  const row = await measureGemma(Deno.args[1], Number(Deno.args[2]));
  console.log(JSON.stringify(row));
  Deno.exit(0);
}

// Two stream lengths: peak RSS must not grow with the number of records.
const rows: Record<string, string | number>[] = [await storiesRun(1)];
peakRss = 0;
rows.push(await storiesRun(5));
for (const layers of [1, 2]) {
  peakRss = 0;
  rows.push(await gemmaRun(layers));
}
clearInterval(sampler);
await saveResults(
  "forward",
  rows,
  `fp32 on CPU (ONNX Runtime ${"1.30"}); FLOP/s count projections, MLP and attention matmuls of padded tokens; ` +
    `this machine's fp32 peak is ~${PEAK_GFLOPS} GFLOP/s at its 2.45 GHz base clock (2 cores, AVX2, 2 FMA units; the ` +
    `cores boost above it, and a lone 1024x2304x9216 MatMul in ONNX Runtime reaches ~153). Peak RSS sampled every ` +
    `20 ms; the Gemma-shaped rows run in a fresh process on a safetensors folder (weights as external data).`,
);
