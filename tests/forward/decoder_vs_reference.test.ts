/**
 * The graphs built from safetensors checkpoints against the independent plain-TypeScript reference forward
 * (tests/forward/reference), on small random Llama and Gemma 2 checkpoints written to disk in the Hugging Face layout.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import {
  type ActivationBatch,
  type AttentionKernel,
  buildDecoderGraph,
  createSession,
  HOOK_POINTS,
  loadDecoder,
  MemoryWeights,
  parseDecoderConfig,
  parseHooks,
} from "@saeflow/forward";
import { padBatch } from "@saeflow/tokenize";
import { join } from "node:path";
import {
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  openSafetensorsCheckpoint,
  writeSafetensors,
} from "@saeflow/io";
import { tempDir } from "../helpers.ts";
import { writeCheckpoint } from "./fixtures/checkpoint_dir.ts";
import {
  type Checkpoint,
  gemma2Config,
  type HfConfig,
  llamaConfig,
  randomCheckpoint,
} from "./reference/random_checkpoint.ts";
import { referenceForward, type ReferenceOutput } from "./reference/reference_forward.ts";

const TOLERANCE = 1e-4;

/** Deterministic token rows of the given lengths. */
function rowsOf(lengths: number[], vocab: number, seed: number): number[][] {
  return lengths.map((n, r) => Array.from({ length: n }, (_, t) => (seed * 7919 + r * 104729 + t * 31337) % vocab));
}

/** The rows right-padded to `seqLen` with 0, and their 1/0 mask, as the reference takes them. */
function referenceInputs(rows: number[][], seqLen: number): { ids: number[][]; mask: number[][] } {
  const pad = (r: number[]) => new Array(seqLen - r.length).fill(0);
  return { ids: rows.map((r) => [...r, ...pad(r)]), mask: rows.map((r) => [...r.map(() => 1), ...pad(r)]) };
}

function maxAbsDiffOnRealTokens(
  ours: Float32Array,
  reference: Float32Array,
  mask: Uint8Array,
  width: number,
): number {
  assert.equal(ours.length, reference.length);
  let worst = 0;
  for (let position = 0; position < mask.length; position++) {
    if (!mask[position]) continue;
    for (let i = 0; i < width; i++) {
      const diff = Math.abs(ours[position * width + i] - reference[position * width + i]);
      if (!(diff <= worst)) worst = diff; // NaN makes worst NaN, failing the bound
    }
  }
  return worst;
}

const REFERENCE_KEY = {
  resid_pre: "residPre",
  attn_out: "attnOut",
  mlp_out: "mlpOut",
  resid_post: "residPost",
} as const;

function compareAll(result: ActivationBatch, reference: ReferenceOutput, layers: number, vocab: number): void {
  const D = result.dModel;
  for (let layer = 0; layer < layers; layer++) {
    for (const point of HOOK_POINTS) {
      const ours = result.activations.get(`blocks.${layer}.hook_${point}`)!;
      const expected = point === "resid_mid"
        ? reference.residPre[layer].map((v, i) => v + reference.attnOut[layer][i])
        : reference[REFERENCE_KEY[point]][layer];
      const diff = maxAbsDiffOnRealTokens(ours, expected, result.tokens.mask, D);
      assert.ok(diff < TOLERANCE, `blocks.${layer}.hook_${point}: max abs diff ${diff}`);
    }
  }
  const logitDiff = maxAbsDiffOnRealTokens(result.logits!, reference.logits, result.tokens.mask, vocab);
  assert.ok(logitDiff < TOLERANCE, `logits: max abs diff ${logitDiff}`);
}

async function checkAgainstReference(
  config: HfConfig,
  checkpoint: Checkpoint,
  lengths: number[],
  attention: AttentionKernel,
) {
  await using dir = await tempDir();
  await writeCheckpoint(dir.path, config, checkpoint);
  const layers = config.num_hidden_layers;
  const hooks = Array.from({ length: layers }, (_, l) => HOOK_POINTS.map((p) => `blocks.${l}.hook_${p}`)).flat();
  const model = await loadDecoder(dir.path, { hooks, logits: true, attention });
  try {
    const rows = rowsOf(lengths, config.vocab_size, 3);
    const tokens = padBatch(rows, { padId: 0, hasBos: false });
    const result = await model.run(tokens);
    const { ids, mask } = referenceInputs(rows, tokens.seqLen);
    const reference = referenceForward(config, checkpoint, ids, mask, { captureAttention: true });
    compareAll(result, reference, layers, config.vocab_size);
    return { result, reference };
  } finally {
    await model.release();
  }
}

// Both attention kernels: fused (ONNX Runtime's GroupQueryAttention, the cpu default) and standard ai.onnx ops (for
// providers without the fused kernel).
for (const attention of ["fused", "standard"] as const) {
  Deno.test(`${attention} attention: llama with GQA: every hook and the logits match the reference, padded batch`, async () => {
    const config = llamaConfig({
      num_hidden_layers: 3,
      hidden_size: 64,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    });
    await checkAgainstReference(config, randomCheckpoint(config, 11), [9, 4, 1], attention);
  });

  Deno.test(`${attention} attention: gemma 2: soft-capping, sliding window, pre+post norms, GeGLU match the reference`, async () => {
    const config = gemma2Config({ num_hidden_layers: 4, sliding_window: 4 });
    // Large q/k weights push attention logits past the 50 cap; a large lm_head pushes logits past the final 30 cap.
    const checkpoint = randomCheckpoint(config, 5, { scale: { q: 12, k: 12, embed: 25 } });
    const { reference } = await checkAgainstReference(config, checkpoint, [12, 7, 3], attention);
    const largest = (arrays: Float32Array[]) =>
      Math.max(...arrays.map((a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    assert.ok(largest(reference.attnRawScores!) > 50, "the attention soft-cap is exercised");
    assert.ok(largest([reference.logits]) > 20, "final logits reach the region where the 30 cap bends them");
  });

  Deno.test(`${attention} attention: gemma 2 with layer_types and an untied lm_head matches the reference`, async () => {
    const config = gemma2Config({
      num_hidden_layers: 2,
      sliding_window: 3,
      layer_types: ["full_attention", "sliding_attention"],
      tie_word_embeddings: false,
    });
    await checkAgainstReference(config, randomCheckpoint(config, 9), [8, 8], attention);
  });

  Deno.test(`${attention} attention: a wider gemma 2 (d=256, heads of 64, 64 tokens) matches the reference`, async () => {
    const config = gemma2Config({
      hidden_size: 256,
      intermediate_size: 768,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 64,
      query_pre_attn_scalar: 64,
      vocab_size: 512,
      sliding_window: 16,
    });
    await checkAgainstReference(config, randomCheckpoint(config, 31), [64, 40, 13], attention);
  });
}

Deno.test("padding never changes a real token's hidden state", async () => {
  await using dir = await tempDir();
  const config = gemma2Config({ num_hidden_layers: 2, sliding_window: 4 });
  await writeCheckpoint(dir.path, config, randomCheckpoint(config, 2));
  const model = await loadDecoder(dir.path, { hooks: ["blocks.1.hook_resid_post"] });
  try {
    const [short, long] = rowsOf([5, 11], config.vocab_size, 8);
    const alone = await model.run(padBatch([short], { padId: 0, hasBos: false }));
    const padded = await model.run(padBatch([long, short], { padId: 0, hasBos: false }));
    const D = alone.dModel;
    const a = alone.activations.get("blocks.1.hook_resid_post")!;
    const b = padded.activations.get("blocks.1.hook_resid_post")!;
    const row = b.subarray(11 * D, 11 * D + 5 * D);
    const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - row[i])), 0);
    assert.ok(diff < 1e-5, `short row alone vs padded: ${diff}`);
  } finally {
    await model.release();
  }
});

Deno.test("fp16 weights and projections stay within half precision of the reference (run on cpu here)", async () => {
  const config = gemma2Config({ num_hidden_layers: 2, sliding_window: 4 });
  const checkpoint = randomCheckpoint(config, 4);
  const decoder = parseDecoderConfig(config, "config.json");
  const hooks = parseHooks(["blocks.1.hook_resid_post"], decoder.numLayers);
  const graph = await buildDecoderGraph(decoder, new MemoryWeights("random", checkpoint), { hooks, dtype: "fp16" });
  // createSession directly: DecoderSession refuses fp16 on cpu, where it is slow, but ONNX Runtime can run it.
  const session = await createSession(graph.bytes);
  const rows = rowsOf([9, 5], config.vocab_size, 1);
  const tokens = padBatch(rows, { padId: 0, hasBos: false });
  const result = await session.run({
    input_ids: new ort.Tensor("int64", BigInt64Array.from(tokens.ids, BigInt), [2, tokens.seqLen]),
    attention_mask: new ort.Tensor("int64", BigInt64Array.from(tokens.mask, BigInt), [2, tokens.seqLen]),
  });
  await session.release();
  const { ids, mask } = referenceInputs(rows, tokens.seqLen);
  const expected = referenceForward(config, checkpoint, ids, mask).residPost[1];
  const actual = result["blocks.1.hook_resid_post"].data as Float32Array;
  const diff = maxAbsDiffOnRealTokens(actual, expected, tokens.mask, config.hidden_size);
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(diff > 1e-6, "fp16 really rounds (the graph is not silently fp32)");
  assert.ok(diff < 2e-2 * scale, `fp16 max abs diff ${diff} vs values up to ${scale}`);
});

for (const dtype of ["BF16", "F16"] as const) {
  Deno.test(`a ${dtype} checkpoint is used in place (external data, cast in the graph) and matches the reference`, async () => {
    await using dir = await tempDir();
    const config = gemma2Config({ num_hidden_layers: 2, sliding_window: 4 });
    const checkpoint = randomCheckpoint(config, 12);
    const narrow = dtype === "BF16" ? float32ToBfloat16Array : float32ToFloat16Array;
    const widen = dtype === "BF16" ? bfloat16ToFloat32Array : float16ToFloat32Array;
    // The reference runs on the values the file really holds: the float32 weights rounded to the dtype.
    const rounded: Checkpoint = new Map(
      [...checkpoint].map(([n, t]) => [n, { shape: t.shape, data: widen(narrow(t.data)) }]),
    );
    await Deno.writeTextFile(join(dir.path, "config.json"), JSON.stringify(config));
    await writeSafetensors(
      join(dir.path, "model.safetensors"),
      Object.fromEntries([...checkpoint].map(([n, t]) => [n, { dtype, shape: t.shape, data: narrow(t.data) }])),
    );
    const layers = config.num_hidden_layers;
    const hooks = Array.from({ length: layers }, (_, l) => HOOK_POINTS.map((p) => `blocks.${l}.hook_${p}`)).flat();
    const model = await loadDecoder(dir.path, { hooks, logits: true });
    try {
      const rows = rowsOf([7, 4], config.vocab_size, 2);
      const tokens = padBatch(rows, { padId: 0, hasBos: false });
      const { ids, mask } = referenceInputs(rows, tokens.seqLen);
      compareAll(await model.run(tokens), referenceForward(config, rounded, ids, mask), layers, config.vocab_size);
    } finally {
      await model.release();
    }
  });
}

Deno.test("safetensors weights stay on disk: the built model holds references, not copies", async () => {
  await using dir = await tempDir();
  const config = llamaConfig({ num_hidden_layers: 2 });
  await writeCheckpoint(dir.path, config, randomCheckpoint(config, 1));
  const weights = await openSafetensorsCheckpoint(dir.path);
  try {
    const decoder = parseDecoderConfig(config, "config.json");
    const fileSize = (await Deno.stat(join(dir.path, "model.safetensors"))).size;
    const inline = await buildDecoderGraph(decoder, weights, { hooks: parseHooks(["blocks.1.hook_resid_post"], 2) });
    assert.ok(inline.bytes.length > fileSize * 0.9, "without external refs the weights are embedded");
    const referenced = await buildDecoderGraph(
      decoder,
      {
        ...weights,
        source: weights.source,
        shape: (n) => weights.shape(n),
        readFloat32: (n) => weights.readFloat32(n),
        external: (n) => {
          const { file, begin, end } = weights.entry(n);
          return { file, offset: begin, length: end - begin, dtype: "F32" };
        },
      },
      { hooks: parseHooks(["blocks.1.hook_resid_post"], 2) },
    );
    assert.equal(referenced.externalDataFolder, dir.path);
    assert.ok(
      referenced.bytes.length < fileSize * 0.05,
      `${referenced.bytes.length} bytes for a ${fileSize}-byte checkpoint`,
    );
  } finally {
    weights.close();
  }
});
