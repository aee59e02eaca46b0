/**
 * The downstream loss of an SAE spliced into stories260K: an SAE that reconstructs exactly keeps the clean loss, one
 * that reconstructs nothing equals zero ablation, and the clean loss equals a naive float64 cross-entropy of the
 * plain model's logits.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { loadDecoder } from "@saeflow/forward";
import { nextTokenLoss, type SaeSpec, splicedLoss } from "@saeflow/sae";
import { loadLlama2cTokenizer, padBatch, type TokenBatch } from "@saeflow/tokenize";
import { sharedModel } from "../helpers.ts";

const HOOK = "blocks.2.hook_resid_post";
const D = 64;

/** ReLU SAE with W_enc = [I, −I] and W_dec = [I; −I]: relu(x) − relu(−x) = x, exactly in float32. */
function identitySae(decoderScale: number): SaeSpec {
  const encoder = new Float32Array(D * 2 * D);
  const decoder = new Float32Array(2 * D * D);
  for (let i = 0; i < D; i++) {
    encoder[i * 2 * D + i] = 1;
    encoder[i * 2 * D + D + i] = -1;
    decoder[i * D + i] = decoderScale;
    decoder[(D + i) * D + i] = -decoderScale;
  }
  return {
    id: "identity",
    source: "test",
    architecture: "relu",
    dIn: D,
    dSae: 2 * D,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    hookName: HOOK,
    weights: {
      W_enc: { shape: [D, 2 * D], data: encoder },
      b_enc: { shape: [2 * D], data: new Float32Array(2 * D) },
      b_dec: { shape: [D], data: new Float32Array(D) },
      W_dec: { shape: [2 * D, D], data: decoder },
    },
  };
}

async function batches(): Promise<TokenBatch[]> {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const texts = ["Once upon a time, there was a little girl.", "The cat sat on the mat and", "Tom liked to play."];
  const rows = texts.map((t) => tokenizer.encode(t));
  return [padBatch(rows.slice(0, 2), { padId: 0, hasBos: true }), padBatch(rows.slice(2), { padId: 0, hasBos: true })];
}

Deno.test("splicedLoss: exact reconstruction keeps the clean loss, a zero decoder equals zero ablation", async () => {
  const model = sharedModel("stories260K/stories260K.bin");
  const input = await batches();
  const exact = await splicedLoss(model, identitySae(1), input);
  assert.equal(exact.hookName, HOOK);
  assert.equal(exact.predictions, input.reduce((n, b) => n + b.lengths.reduce((s, l) => s + l - 1, 0), 0));
  assert.ok(Math.abs(exact.lossIncrease) < 1e-6, `loss increase ${exact.lossIncrease}`);
  assert.ok(Math.abs(exact.lossRecovered - 1) < 1e-6);
  assert.ok(exact.zeroAblatedLoss > exact.cleanLoss + 1, "zero ablation of the residual stream hurts");

  const nothing = await splicedLoss(model, identitySae(0), input);
  assert.ok(Math.abs(nothing.splicedLoss - nothing.zeroAblatedLoss) < 1e-6);
  assert.ok(Math.abs(nothing.lossRecovered) < 1e-6);
  assert.equal(nothing.cleanLoss, exact.cleanLoss);

  // The clean loss against a naive float64 cross-entropy of the plain model's logits.
  const plain = await loadDecoder(model, { hooks: [], logits: true });
  try {
    let sum = 0;
    let count = 0;
    for (const batch of input) {
      const logits = (await plain.run(batch)).logits!;
      const vocab = plain.info.vocabSize!;
      for (let b = 0; b < batch.batchSize; b++) {
        for (let t = 0; t + 1 < batch.lengths[b]; t++) {
          const row = Array.from(logits.subarray((b * batch.seqLen + t) * vocab, (b * batch.seqLen + t + 1) * vocab));
          const logZ = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
          sum += logZ - row[batch.ids[b * batch.seqLen + t + 1]];
          count++;
        }
      }
      assert.deepEqual(nextTokenLoss(batch, logits, vocab).predictions, batch.lengths.reduce((s, l) => s + l - 1, 0));
    }
    assert.ok(Math.abs(sum / count - exact.cleanLoss) < 1e-9, `${sum / count} vs ${exact.cleanLoss}`);
  } finally {
    await plain.release();
  }
});

Deno.test("splicedLoss: an SAE without a hook or decoder is refused, naming it", async () => {
  const model = sharedModel("stories260K/stories260K.bin");
  const { hookName: _, ...noHook } = identitySae(1);
  await assert.rejects(
    splicedLoss(model, noHook, await batches()),
    (e) => e instanceof ConfigError && /no hook/.test(e.message),
  );
  const spec = identitySae(1);
  const noDecoder = { ...spec, weights: { ...spec.weights, W_dec: undefined } };
  await assert.rejects(
    splicedLoss(model, noDecoder, await batches()),
    (e) => e instanceof ConfigError && /W_dec/.test(e.message),
  );
});

Deno.test("splicedLoss: with BOS first, position 0 keeps its own value (SAEs never see BOS); without, it is replaced too", async () => {
  const model = sharedModel("stories260K/stories260K.bin");
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  // Two tokens per row: the only prediction is made at position 0, which a causal model computes from itself alone.
  const rows = ["Once", "The", "Tom"].map((t) => tokenizer.encode(t).slice(0, 2));
  const kept = await splicedLoss(model, identitySae(0), [padBatch(rows, { padId: 0, hasBos: true })]);
  assert.equal(kept.predictions, 3);
  assert.ok(Math.abs(kept.splicedLoss - kept.cleanLoss) < 1e-9, "BOS untouched: nothing changes");
  assert.ok(Math.abs(kept.zeroAblatedLoss - kept.cleanLoss) < 1e-9);
  const replaced = await splicedLoss(model, identitySae(0), [padBatch(rows, { padId: 0, hasBos: false })]);
  // A zeroed residual stream stays zero through the later blocks (RMSNorm(0) = 0): uniform logits, log(512) nats.
  assert.ok(Math.abs(replaced.zeroAblatedLoss - Math.log(512)) < 1e-6, `${replaced.zeroAblatedLoss}`);
  assert.ok(Math.abs(replaced.splicedLoss - Math.log(512)) < 1e-6);
});
