/**
 * End to end: tokenize -> forward -> saeEncode on stories260K over the jailbreak-classification train prompts, with
 * random JumpReLU SAEs at two hooks (8x and 32x wide), through the streams. Reports tokens/s and where the time goes.
 *
 * Run: `./node_modules/.bin/deno run -A bench/forward_encode.ts`
 */
import { ForwardStream, loadDecoder } from "@saeflow/forward";
import { openTextDataset } from "@saeflow/io";
import { FusedEncodeStream, FusedSaeModel, SaeEncoder, SaeEncodeStream, type SaeSpec } from "@saeflow/sae";
import { loadLlama2cTokenizer, TokenizeStream } from "@saeflow/tokenize";
import { format, saveResults } from "./lib.ts";

const SHARED = new URL("../../shared/", import.meta.url).pathname;

/** A random JumpReLU SAE whose thresholds give a few dozen active features per token. */
function randomSae(id: string, dIn: number, dSae: number, seed: number): SaeSpec {
  let state = seed;
  const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => uniform() * scale);
  return {
    id,
    source: "random",
    architecture: "jumprelu",
    dIn,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    weights: {
      W_enc: { shape: [dIn, dSae], data: fill(dIn * dSae, 3.46 / Math.sqrt(dIn)) },
      b_enc: { shape: [dSae], data: new Float32Array(dSae) },
      threshold: { shape: [dSae], data: new Float32Array(dSae).fill(1.5) },
      b_dec: { shape: [dIn], data: new Float32Array(dIn) },
    },
  };
}

/** Fused: the encoders inside the forward graph, features straight out of one ONNX Runtime call. */
async function runFused(widths: number[]) {
  const tokenizer = await loadLlama2cTokenizer(`${SHARED}models/stories260K/tok512.bin`);
  const hooks = ["blocks.1.hook_resid_post", "blocks.3.hook_resid_post"];
  const saes = hooks.flatMap((hook, i) =>
    widths.map((width) => ({ id: `${hook}/${width}`, hook, spec: randomSae(`${hook}/${width}`, 64, width, 7 + i) }))
  );
  const fused = await FusedSaeModel.load(`${SHARED}models/stories260K/stories260K.bin`, saes);
  const { records } = await openTextDataset({
    sources: [{ path: `${SHARED}data/jailbreak-classification/jailbreak_dataset_train_balanced.csv` }],
    fields: { text: "prompt", label: "type" },
  });
  const start = performance.now();
  let active = 0;
  await records
    .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 128, batchSize: 32 }))
    .pipeThrough(new FusedEncodeStream({ model: fused }))
    .pipeTo(new WritableStream({ write: (b) => void b.features.forEach((f) => (active += f.indices.length)) }));
  const totalMs = performance.now() - start;
  const t = fused.timings;
  await fused.release();
  const seconds = (ms: number) => format(ms / 1000, 2);
  return {
    saes: `${saes.length} (2 hooks x widths ${widths.join(", ")}), fused into the forward graph`,
    "real tokens": t.tokens,
    "tokens/s end to end": format(t.tokens / (totalMs / 1000)),
    "wall s": seconds(totalMs),
    "forward busy s": seconds(t.runMs),
    "encode busy s (ORT + CSR)": "(in forward)",
    "mean L0": "-",
    "active features": active,
  };
}

async function run(widths: number[]) {
  const tokenizer = await loadLlama2cTokenizer(`${SHARED}models/stories260K/tok512.bin`);
  const hooks = ["blocks.1.hook_resid_post", "blocks.3.hook_resid_post"];
  const model = await loadDecoder(`${SHARED}models/stories260K/stories260K.bin`, { hooks });
  const saes = [];
  for (const [i, hook] of hooks.entries()) {
    for (const width of widths) {
      const encoder = await SaeEncoder.create(randomSae(`${hook}/${width}`, 64, width, 7 + i));
      saes.push({ id: `${hook}/${width}`, hook, encoder });
    }
  }
  let encodeMs = 0;
  for (const sae of saes) {
    const encode = sae.encoder.encode.bind(sae.encoder);
    sae.encoder.encode = async (x, rows) => {
      const start = performance.now();
      const result = await encode(x, rows);
      encodeMs += performance.now() - start;
      return result;
    };
  }
  const { records } = await openTextDataset({
    sources: [{ path: `${SHARED}data/jailbreak-classification/jailbreak_dataset_train_balanced.csv` }],
    fields: { text: "prompt", label: "type" },
  });
  const stream = new SaeEncodeStream({ saes });
  const start = performance.now();
  let active = 0;
  await records
    .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 128, batchSize: 32 }))
    .pipeThrough(new ForwardStream({ model }))
    .pipeThrough(stream)
    .pipeTo(new WritableStream({ write: (b) => void b.features.forEach((f) => (active += f.indices.length)) }));
  const totalMs = performance.now() - start;
  const t = model.timings;
  const l0 = [...stream.stats.values()].map((s) => s.summary().meanL0);
  for (const sae of saes) await sae.encoder.release();
  await model.release();
  const seconds = (ms: number) => format(ms / 1000, 2);
  // Stages overlap (the forward pass of one batch runs while the previous batch is encoded), so busy times can add
  // up to more than the wall time.
  return {
    saes: `${saes.length} (2 hooks x widths ${widths.join(", ")})`,
    "real tokens": t.tokens,
    "tokens/s end to end": format(t.tokens / (totalMs / 1000)),
    "wall s": seconds(totalMs),
    "forward busy s": seconds(t.runMs),
    "encode busy s (ORT + CSR)": seconds(encodeMs),
    "mean L0": l0.map((v) => format(v, 0)).join(" / "),
    "active features": active,
  };
}

const rows = [await run([512]), await runFused([512]), await run([512, 2048]), await runFused([512, 2048])];
await saveResults(
  "forward_encode",
  rows,
  "stories260K (d=64, 5 layers) on the jailbreak-classification train prompts (<=128 tokens, batches of 32), random " +
    "JumpReLU SAEs; fp32 on CPU, one process. Busy times overlap: stages run concurrently on ONNX Runtime's threads.",
);
