/**
 * SAE training throughput on tfjs: tokens/s and GFLOP/s of a full training step (forward, backward, Adam, decoder
 * renormalisation) for d_model 64 / 256 / 2304 at 8× and 16× expansion, on wasm and, where an adapter exists, on
 * webgpu; what the step's time goes to (tfjs kernel profile); and RSS over a long shuffled stream (flat or not).
 *
 * Run: `deno run -A bench/train_sae.ts [--quick]` → bench/results/train_sae*.{json,md}.
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32, standardNormal } from "@saeflow/core";
import {
  resolveTrainingConfig,
  type RowBlock,
  SaeTrainer,
  ShuffleBatchStream,
  startTfjsBackend,
  type TfjsBackend,
  type TrainableArchitecture,
} from "@saeflow/sae";
import { format, saveResults } from "./lib.ts";

const quick = Deno.args.includes("--quick");

/** Rows of a synthetic residual stream: a few heavy directions plus noise (roughly what real activations look like). */
function syntheticRows(rows: number, d: number, seed: number): Float32Array {
  const gaussian = standardNormal(mulberry32(seed));
  const x = new Float32Array(rows * d);
  for (let i = 0; i < x.length; i++) x[i] = gaussian() * (i % d < 4 ? 5 : 1);
  return x;
}

interface Case {
  architecture: TrainableArchitecture;
  dIn: number;
  expansion: number;
  batch: number;
  steps: number;
}

/** FLOPs of one step: the two products forward and four backward, each 2·rows·dIn·dSae. */
const stepFlops = (c: Case) => 12 * c.batch * c.dIn * c.dIn * c.expansion;

/** A trainer for case `c` on `backend` and its (synthetic) batch; dead latents never arise, so AuxK stays off. */
async function trainerFor(backend: TfjsBackend, c: Case, seed: number) {
  await startTfjsBackend(backend);
  const config = resolveTrainingConfig({
    architecture: c.architecture,
    dIn: c.dIn,
    dSae: c.dIn * c.expansion,
    totalSteps: c.steps + 2,
    batchSize: c.batch,
    k: 32,
    deadAfterTokens: 1e9,
  });
  const batch = syntheticRows(c.batch, c.dIn, seed);
  return { trainer: SaeTrainer.create(config, batch), batch };
}

async function timeCase(backend: TfjsBackend, c: Case): Promise<Record<string, string | number>> {
  const dSae = c.dIn * c.expansion;
  const { trainer, batch } = await trainerFor(backend, c, 1);
  try {
    await trainer.step(batch); // warm-up: kernels compiled, buffers allocated
    const start = performance.now();
    for (let s = 0; s < c.steps; s++) await trainer.step(batch);
    const seconds = (performance.now() - start) / 1000;
    return {
      backend,
      architecture: c.architecture,
      d_model: c.dIn,
      d_sae: `${dSae} (${c.expansion}×)`,
      batch: c.batch,
      "ms/step": format((1000 * seconds) / c.steps, 1),
      "tokens/s": format((c.steps * c.batch) / seconds),
      "GFLOP/s": format((stepFlops(c) * c.steps) / seconds / 1e9, 1),
      "RSS MiB": format(Deno.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    trainer.dispose();
  }
}

/** Where one step's time goes: tfjs kernel times summed by kernel name, largest first. */
async function profileStep(c: Case): Promise<Record<string, string | number>[]> {
  const { trainer, batch } = await trainerFor("wasm", c, 2);
  try {
    await trainer.step(batch);
    const profile = await tf.profile(async () => void await trainer.step(batch));
    const byKernel = new Map<string, number>();
    for (const kernel of profile.kernels) {
      const ms = Number(await kernel.kernelTimeMs);
      byKernel.set(kernel.name, (byKernel.get(kernel.name) ?? 0) + ms);
    }
    const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
    return [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, ms]) => ({
      case: `${c.architecture} d${c.dIn}×${c.expansion}, batch ${c.batch}`,
      kernel: name,
      ms: format(ms, 1),
      share: `${format((100 * ms) / total, 1)}%`,
    }));
  } finally {
    trainer.dispose();
  }
}

/** RSS while training on a long shuffled synthetic stream: sampled every `every` steps. */
async function rssOverStream(steps: number, every: number): Promise<Record<string, string | number>[]> {
  await startTfjsBackend("wasm");
  const dIn = 64, dSae = 512, batchSize = 1024;
  const config = resolveTrainingConfig({ architecture: "topk", dIn, dSae, totalSteps: steps, batchSize, k: 16 });
  let block = 0;
  const source = new ReadableStream<RowBlock>({
    pull(controller) {
      controller.enqueue({ rows: syntheticRows(1000, dIn, 100 + block++), count: 1000, dIn });
    },
  });
  const batches = source.pipeThrough(new ShuffleBatchStream({ batchSize, capacity: 65_536, seed: 1, dIn }));
  const rows: Record<string, string | number>[] = [];
  let trainer: SaeTrainer | undefined;
  const start = performance.now();
  for await (const batch of batches) {
    trainer ??= SaeTrainer.create(config, batch);
    await trainer.step(batch);
    if (trainer.steps % every === 0) {
      rows.push({
        step: trainer.steps,
        "tokens trained": format(trainer.tokens),
        "RSS MiB": format(Deno.memoryUsage().rss / 2 ** 20),
        "tfjs tensors": tf.memory().numTensors,
        "tokens/s": format(trainer.tokens / ((performance.now() - start) / 1000)),
      });
    }
    if (trainer.steps >= steps) break;
  }
  trainer?.dispose();
  return rows;
}

const cases: Case[] = [
  { architecture: "topk", dIn: 64, expansion: 8, batch: 4096, steps: quick ? 5 : 30 },
  { architecture: "topk", dIn: 64, expansion: 16, batch: 4096, steps: quick ? 5 : 30 },
  { architecture: "jumprelu", dIn: 64, expansion: 16, batch: 4096, steps: quick ? 5 : 30 },
  { architecture: "topk", dIn: 256, expansion: 8, batch: 4096, steps: quick ? 2 : 6 },
  { architecture: "topk", dIn: 256, expansion: 16, batch: 4096, steps: quick ? 2 : 4 },
  { architecture: "jumprelu", dIn: 256, expansion: 16, batch: 4096, steps: quick ? 2 : 4 },
  { architecture: "topk", dIn: 2304, expansion: 8, batch: 256, steps: quick ? 1 : 2 },
  { architecture: "topk", dIn: 2304, expansion: 16, batch: 256, steps: quick ? 1 : 2 },
  { architecture: "jumprelu", dIn: 2304, expansion: 8, batch: 256, steps: quick ? 1 : 2 },
];

// First, in a fresh process: the later cases grow the wasm heap and the webgpu ones map buffers, which RSS keeps.
const rss = await rssOverStream(quick ? 400 : 3000, quick ? 100 : 500);
await saveResults(
  "train_sae_rss",
  rss,
  "TopK 64×512, batch 1024, a 65,536-row shuffle buffer fed by an endless synthetic stream of 1,000-row blocks.",
);

const throughput: Record<string, string | number>[] = [];
for (const c of cases) {
  try {
    throughput.push(await timeCase("wasm", c));
  } catch (error) {
    throughput.push({
      backend: "wasm",
      architecture: c.architecture,
      d_model: c.dIn,
      d_sae: `${c.dIn * c.expansion} (${c.expansion}×)`,
      batch: c.batch,
      "ms/step": `failed: ${(error as Error).message.slice(0, 80)}`,
      "tokens/s": "",
      "GFLOP/s": "",
      "RSS MiB": "",
    });
  }
}
const gpu = (navigator as { gpu?: GPU }).gpu;
const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
if (adapter) {
  for (const c of cases.filter((c) => c.dIn <= 256 && c.architecture === "topk")) {
    throughput.push(await timeCase("webgpu", { ...c, steps: Math.max(1, Math.ceil(c.steps / 3)) }));
  }
}
await saveResults(
  "train_sae",
  throughput,
  `One full training step (forward, backward, Adam, unit-norm decoder): the mean over the timed steps after ` +
    `one warm-up; GFLOP/s counts the six rows×d_model×d_sae products only. ${
      adapter
        ? `webgpu adapter: ${adapter.info?.description || adapter.info?.vendor || "present"}.`
        : "No WebGPU adapter."
    }`,
);

const profile = [
  ...await profileStep({ architecture: "topk", dIn: 256, expansion: 16, batch: 4096, steps: 1 }),
  ...await profileStep({ architecture: "jumprelu", dIn: 256, expansion: 16, batch: 4096, steps: 1 }),
];
await saveResults("train_sae_profile", profile, "tfjs kernel times of one wasm training step (tf.profile), top 6.");
