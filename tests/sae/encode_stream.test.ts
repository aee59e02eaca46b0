/**
 * saeEncode as a stream after the real stories260K forward pass: features per real token match encoding each
 * record alone, padding never reaches the SAE, diagnostics add up, and bad activations or a d_model mismatch are
 * named.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError, type TextRecord } from "@saeflow/core";
import { type ActivationBatch, ForwardStream, loadDecoder } from "@saeflow/forward";
import { openTextDataset } from "@saeflow/io";
import { loadLlama2cTokenizer, padBatch, TokenizeStream } from "@saeflow/tokenize";
import {
  type FeatureBatch,
  FusedEncodeStream,
  FusedSaeModel,
  realTokenRows,
  SaeEncoder,
  SaeEncodeStream,
  type SaeSpec,
} from "@saeflow/sae";
import { sharedData, sharedModel } from "../helpers.ts";
import { mulberry32 } from "../random.ts";

const HOOK = "blocks.2.hook_resid_post";

/** A random JumpReLU SAE for d_in 64 (stories260K's width). */
function randomSae(dIn: number, dSae: number, seed: number): SaeSpec {
  const random = mulberry32(seed);
  const gaussian = (n: number, std: number) =>
    Float32Array.from(
      { length: n },
      () => std * Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random()),
    );
  return {
    id: "random-jumprelu",
    source: "test",
    architecture: "jumprelu",
    dIn,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    weights: {
      W_enc: { shape: [dIn, dSae], data: gaussian(dIn * dSae, 1 / Math.sqrt(dIn)) },
      b_enc: { shape: [dSae], data: gaussian(dSae, 0.1) },
      threshold: { shape: [dSae], data: Float32Array.from({ length: dSae }, () => 0.5 + random()) },
      b_dec: { shape: [dIn], data: gaussian(dIn, 0.1) },
      W_dec: { shape: [dSae, dIn], data: gaussian(dSae * dIn, 1 / Math.sqrt(dSae)) },
    },
  };
}

async function sst2(count: number): Promise<TextRecord[]> {
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
    fields: { text: "text", label: "label" },
  });
  return (await Array.fromAsync(records)).slice(0, count);
}

Deno.test("sst2 → stories260K → SAE stream: each record's features equal encoding it alone; stats add up", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), { hooks: [HOOK] });
  const encoder = await SaeEncoder.create(randomSae(64, 512, 7), { reconstruction: true });
  const records = await sst2(40);
  const batches: FeatureBatch[] = [];
  const alone = new Map<string, ActivationBatch>();
  try {
    const stream = new SaeEncodeStream({ saes: [{ id: "sae", hook: HOOK, encoder }] });
    await ReadableStream.from(records)
      .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 48, batchSize: 16 }))
      .pipeThrough(new ForwardStream({ model }))
      .pipeThrough(stream)
      .pipeTo(new WritableStream({ write: (b) => void batches.push(b) }));
    for (const record of records.slice(0, 6)) {
      const ids = tokenizer.encode(record.text).slice(0, 48);
      alone.set(
        record.id,
        await model.run(padBatch([ids], { padId: tokenizer.padId, hasBos: true, records: [record] })),
      );
    }
    let tokens = 0;
    for (const { tokens: batch, features } of batches) {
      const f = features.get("sae")!;
      assert.equal(f.rows, batch.lengths.reduce((a, b) => a + b, 0), "one feature row per real token");
      tokens += f.rows;
      let row = 0;
      for (let b = 0; b < batch.batchSize; b++) {
        const single = alone.get(batch.records[b].id);
        if (single) {
          const x = realTokenRows(single, HOOK);
          const { features: expected } = await encoder.encode(x, x.length / 64);
          const start = f.rowPtr[row], end = f.rowPtr[row + batch.lengths[b]];
          assert.deepEqual(Array.from(f.indices.subarray(start, end)), Array.from(expected.indices));
          const values = f.values.subarray(start, end);
          values.forEach((v, i) => assert.ok(Math.abs(v - expected.values[i]) < 1e-4, `value ${i}`));
        }
        row += batch.lengths[b];
      }
    }
    assert.equal(alone.size, 6);
    const summary = stream.stats.get("sae")!.summary();
    assert.equal(summary.tokens, tokens);
    assert.ok(summary.meanL0 > 1 && summary.meanL0 < 512, `mean L0 ${summary.meanL0}`);
    assert.ok(summary.fvu! > 0 && Number.isFinite(summary.fvu!), `fvu ${summary.fvu}`);
    assert.ok(summary.deadFeatures >= 0 && summary.deadFeatures < 512);
  } finally {
    await model.release();
    await encoder.release();
  }
});

Deno.test("a d_model mismatch names the SAE and the hook; a NaN activation names the record and position", async () => {
  const encoder = await SaeEncoder.create(randomSae(32, 64, 1));
  try {
    const tokens = padBatch([[1, 2, 3]], { padId: 0, hasBos: true, records: [{ id: "r1", text: "" }] });
    const batch = (values: Float32Array, dModel: number): ActivationBatch => ({
      tokens,
      activations: new Map([[HOOK, values]]),
      dModel,
    });
    const run = (b: ActivationBatch) =>
      ReadableStream.from([b]).pipeThrough(new SaeEncodeStream({ saes: [{ id: "small", hook: HOOK, encoder }] }))
        .pipeTo(
          new WritableStream(),
        );
    await assert.rejects(
      run(batch(new Float32Array(3 * 64), 64)),
      (e) =>
        e instanceof ConfigError &&
        /SAE small \(test\) takes d_in 32, but the model's blocks\.2\.hook_resid_post has d_model 64/.test(e.message),
    );
    const values = new Float32Array(3 * 32);
    values[32 + 5] = NaN;
    await assert.rejects(
      run(batch(values, 32)),
      (e) => e instanceof DataError && /id "r1".*activation NaN at token 1, dimension 5/.test(e.message),
    );
  } finally {
    await encoder.release();
  }
});

Deno.test("SAEs fused into the forward graph give the same features as encoding the returned activations", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const path = sharedModel("stories260K/stories260K.bin");
  const jumprelu = randomSae(64, 256, 3);
  const topk: SaeSpec = {
    ...randomSae(64, 128, 4),
    id: "topk",
    architecture: "topk",
    k: 8,
    topkOrder: "relu-then-topk",
  };
  const saes = [
    { id: "jumprelu", hook: HOOK, spec: jumprelu },
    { id: "topk", hook: "blocks.4.hook_resid_post", spec: topk },
  ];
  const fused = await FusedSaeModel.load(path, saes);
  const model = await loadDecoder(path, { hooks: saes.map((s) => s.hook) });
  const encoders = await Promise.all(saes.map((s) => SaeEncoder.create(s.spec)));
  try {
    const records = await sst2(24);
    const batches = await Array.fromAsync(
      ReadableStream.from(records).pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 40, batchSize: 8 })),
    );
    let compared = 0;
    for (const tokens of batches) {
      const { features } = await fused.run(tokens);
      const activations = await model.run(tokens);
      for (const [i, sae] of saes.entries()) {
        const x = realTokenRows(activations, sae.hook);
        const { features: expected } = await encoders[i].encode(x, x.length / 64);
        const actual = features.get(sae.id)!;
        assert.deepEqual(Array.from(actual.rowPtr), Array.from(expected.rowPtr), `${sae.id}: rows`);
        assert.deepEqual(Array.from(actual.indices), Array.from(expected.indices), `${sae.id}: indices`);
        actual.values.forEach((v, j) => assert.ok(Math.abs(v - expected.values[j]) < 1e-4));
        compared += actual.indices.length;
      }
    }
    assert.ok(compared > 1000, `compared ${compared} active features`);
    // The stream stage: the same features, and stats without an FVU (the activations stay inside the graph).
    const stage = new FusedEncodeStream({ model: fused });
    await ReadableStream.from(batches).pipeThrough(stage).pipeTo(new WritableStream());
    const tokenCount = batches.reduce((sum, b) => sum + b.lengths.reduce((a, c) => a + c, 0), 0);
    const summaries = saes.map((sae) => stage.stats.get(sae.id)!.summary());
    assert.deepEqual(summaries.map((m) => m.tokens), [tokenCount, tokenCount]);
    assert.ok(Math.abs(summaries.reduce((sum, m) => sum + m.meanL0 * m.tokens, 0) - compared) < 1e-6);
    assert.ok(summaries.every((m) => m.fvu === undefined));
    await assert.rejects(
      FusedSaeModel.load(path, [{ id: "wide", hook: HOOK, spec: randomSae(32, 64, 1) }]),
      /SAE wide \(test\) takes d_in 32, but .*stories260K\.bin's blocks\.2\.hook_resid_post has d_model 64/,
    );
  } finally {
    await fused.release();
    await model.release();
    for (const e of encoders) await e.release();
  }
});

Deno.test("zero rows encode to an empty CSR (no ONNX Runtime call); duplicate SAE ids are refused", async () => {
  const topk: SaeSpec = { ...randomSae(8, 16, 2), architecture: "topk", k: 4, topkOrder: "topk-then-relu" };
  const encoder = await SaeEncoder.create(topk, { reconstruction: true });
  try {
    const { features, sqError } = await encoder.encode(new Float32Array(0), 0);
    assert.deepEqual([features.rows, Array.from(features.rowPtr), features.indices.length], [0, [0], 0]);
    assert.equal(sqError!.length, 0);
    assert.throws(
      () => new SaeEncodeStream({ saes: [{ id: "a", hook: HOOK, encoder }, { id: "a", hook: HOOK, encoder }] }),
      /SAE ids must be distinct: a, a/,
    );
  } finally {
    await encoder.release();
  }
});
