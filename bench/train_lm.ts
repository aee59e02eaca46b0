/**
 * LM training throughput on tfjs-wasm: tokens/s of a full `LmTrainer` step (forward, backward, global-norm clipping,
 * AdamW) for a few Llama sizes at seqLen 128, batch 16, and what each would train in an hour on this machine (tokens,
 * and epochs of the Brown corpus's training split at vocabulary 4096, about 1.67 M packed tokens).
 *
 * Run: `deno run -A bench/train_lm.ts [--quick]` → bench/results/train_lm.{json,md}. Not part of `deno task bench`:
 * the largest size takes a few minutes.
 */
import { mulberry32 } from "@saeflow/core";
import { type LlamaConfig, LmTrainer, resolveLmTrainingConfig } from "@saeflow/lm";
import { startTfjsBackend } from "@saeflow/sae";
import { format, saveResults } from "./lib.ts";

const quick = Deno.args.includes("--quick");
/** Packed training tokens of Brown at vocabulary 4096 with the default 5% validation split (measured). */
const BROWN_TRAIN_TOKENS = 1.67e6;

interface Size {
  dModel: number;
  nLayers: number;
  nHeads: number;
  dFf: number;
  vocabSize: number;
}

const SIZES: Size[] = [
  { dModel: 64, nLayers: 4, nHeads: 4, dFf: 256, vocabSize: 4096 },
  { dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, vocabSize: 4096 },
  { dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, vocabSize: 2048 },
  { dModel: 192, nLayers: 6, nHeads: 6, dFf: 768, vocabSize: 4096 },
  { dModel: 256, nLayers: 4, nHeads: 4, dFf: 1024, vocabSize: 4096 },
];

await startTfjsBackend("wasm");
const seqLen = 128;
const batchSize = 16;
const rows = [];
for (const size of quick ? SIZES.slice(0, 2) : SIZES) {
  const modelConfig: LlamaConfig = {
    ...size,
    nKvHeads: size.nHeads,
    maxSeqLen: seqLen,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieEmbeddings: true,
  };
  const config = resolveLmTrainingConfig({ totalSteps: 1000, batchSize, seqLen, warmupSteps: 10 });
  const trainer = LmTrainer.create(modelConfig, config);
  const uniform = mulberry32(1);
  const batch = () => Int32Array.from({ length: batchSize * seqLen }, () => Math.floor(uniform() * size.vocabSize));
  await trainer.step(batch()); // warm-up: kernels compiled, buffers allocated
  const steps = quick ? 2 : 4;
  const started = performance.now();
  for (let i = 0; i < steps; i++) await trainer.step(batch());
  const seconds = (performance.now() - started) / 1000 / steps;
  const params = Object.values(await trainer.toParams()).reduce((n, p) => n + p.data.length, 0);
  trainer.dispose();
  const tokensPerSecond = (batchSize * seqLen) / seconds;
  const row = {
    ...size,
    seqLen,
    batchSize,
    params,
    secondsPerStep: seconds,
    tokensPerSecond,
    stepsPerHour: 3600 / seconds,
    tokensPerHour: 3600 * tokensPerSecond,
    brownEpochsPerHour: (3600 * tokensPerSecond) / BROWN_TRAIN_TOKENS,
  };
  rows.push(row);
  console.log(
    `d${size.dModel} L${size.nLayers} H${size.nHeads} ff${size.dFf} V${size.vocabSize}: ${format(params)} params, ` +
      `${seconds.toFixed(2)} s/step, ${Math.round(tokensPerSecond)} tokens/s, ${Math.round(row.stepsPerHour)} ` +
      `steps/h, ${row.brownEpochsPerHour.toFixed(2)} Brown epochs/h`,
  );
}
await saveResults(
  "train_lm",
  rows.map((r) => ({
    model: `d${r.dModel} L${r.nLayers} H${r.nHeads} ff${r.dFf} V${r.vocabSize}`,
    params: r.params,
    "s/step": r.secondsPerStep.toFixed(2),
    "tokens/s": Math.round(r.tokensPerSecond),
    "steps/h": Math.round(r.stepsPerHour),
    "Brown epochs/h": r.brownEpochsPerHour.toFixed(2),
  })),
  `tfjs-wasm (single-threaded, SIMD), seqLen ${seqLen}, batch ${batchSize}, tied embeddings; a step is forward, ` +
    "backward, clipping and AdamW.",
);
