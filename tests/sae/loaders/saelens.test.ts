/**
 * loadSaeLens on SAELens folders written by Python's standard library: every architecture, the config keys of
 * SAELens 6 and of older versions, each normalize_activations mode, and every error naming its file.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { loadSaeLens } from "../../../modules/sae/saelens.ts";
import { tempDir } from "../../helpers.ts";
import type { PyTensor } from "../../io/tensors/python_safetensors.ts";
import { assertRead, assertRejects, assertStored, fieldsOf } from "./loader_asserts.ts";
import { pythonWriteCfg, pythonWriteSaeFolder, tensor } from "./python_sae_folder.ts";

const WEIGHTS = "sae_weights.safetensors";
const D_IN = 4;
const D_SAE = 6;

/** The four SAELens tensors (in a non-alphabetical order, so the layout is Python's), plus threshold when asked. */
function saeLensTensors(
  matrices: PyTensor["dtype"],
  { threshold = false, dIn = D_IN, dSae = D_SAE } = {},
): PyTensor[] {
  return [
    tensor("b_dec", "F32", [dIn], 1),
    tensor("W_enc", matrices, [dIn, dSae], 2),
    tensor("b_enc", "F32", [dSae], 3),
    ...(threshold
      ? [{ name: "threshold", dtype: "F32" as const, shape: [dSae], values: [0.1, 0.2, 1e-8, 0, 3.3, 0.7] }]
      : []),
    tensor("W_dec", matrices, [dSae, dIn], 4),
  ];
}

/** A SAELens 6 cfg.json as `SAE.save_model` writes it (`metadata` since 6.0; `meta` in the release candidates). */
function v6Cfg(architecture: string, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    d_in: D_IN,
    d_sae: D_SAE,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    reshape_activations: "none",
    metadata: {
      model_name: "gemma-2-2b",
      hook_name: "blocks.12.hook_resid_post",
      hook_head_index: null,
      prepend_bos: true,
      neuronpedia_id: "gemma-2-2b/12-res-6",
      context_size: 1024,
      sae_lens_version: "6.5.1",
      sae_lens_training_version: "6.5.1",
      ...metadata,
    },
    architecture,
    ...extra,
  };
}

Deno.test("SAELens 6 standard SAE: fields from cfg.json and its metadata, F32 matrices in place, vectors exact", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/blocks.12.hook_resid_post`;
  const written = await pythonWriteSaeFolder(folder, v6Cfg("standard"), WEIGHTS, saeLensTensors("F32"));
  const spec = await loadSaeLens(folder);
  assert.deepEqual(fieldsOf(spec), {
    id: folder,
    source: folder,
    architecture: "relu",
    dIn: D_IN,
    dSae: D_SAE,
    applyBDecToInput: true,
    normalization: { kind: "none" },
    hookName: "blocks.12.hook_resid_post",
    modelId: "gemma-2-2b",
    neuronpediaId: "gemma-2-2b/12-res-6",
  });
  const file = `${folder}/${WEIGHTS}`;
  assert.deepEqual(Object.keys(spec.weights).sort(), ["W_dec", "W_enc", "b_dec", "b_enc"]);
  await assertStored(spec.weights.W_enc, file, written.W_enc, "F32", [D_IN, D_SAE]);
  await assertStored(spec.weights.W_dec, file, written.W_dec, "F32", [D_SAE, D_IN]);
  assertRead(spec.weights.b_enc, written.b_enc, [D_SAE]);
  assertRead(spec.weights.b_dec, written.b_dec, [D_IN]);
  assert.equal((await loadSaeLens(folder, { id: "my-release/blocks.12" })).id, "my-release/blocks.12");
});

Deno.test("SAELens jumprelu (6.0 rc 'meta' key): BF16 matrices in place, threshold float32 bit for bit, no b_dec centring", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/jump`;
  const cfg = v6Cfg("jumprelu", { apply_b_dec_to_input: false });
  const { metadata, ...rest } = cfg;
  const written = await pythonWriteSaeFolder(
    folder,
    { ...rest, meta: { ...metadata, sae_lens_version: "6.0.0-rc.0", hook_name: "blocks.5.hook_mlp_out" } },
    WEIGHTS,
    saeLensTensors("BF16", { threshold: true }),
  );
  const spec = await loadSaeLens(folder);
  assert.equal(spec.architecture, "jumprelu");
  assert.equal(spec.applyBDecToInput, false);
  assert.equal(spec.hookName, "blocks.5.hook_mlp_out");
  assert.equal(spec.k, undefined);
  const file = `${folder}/${WEIGHTS}`;
  await assertStored(spec.weights.W_enc, file, written.W_enc, "BF16", [D_IN, D_SAE]);
  await assertStored(spec.weights.W_dec, file, written.W_dec, "BF16", [D_SAE, D_IN]);
  assertRead(spec.weights.threshold, written.threshold, [D_SAE]);
  assertRead(spec.weights.b_enc, written.b_enc, [D_SAE]);
});

Deno.test("SAELens 6 topk: k from cfg.json, top-k then ReLU, F16 in place; k defaults to TopKSAEConfig's 100", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/topk`;
  const written = await pythonWriteSaeFolder(folder, v6Cfg("topk", { k: 3 }), WEIGHTS, saeLensTensors("F16"));
  const spec = await loadSaeLens(folder);
  assert.equal(spec.architecture, "topk");
  assert.equal(spec.k, 3);
  assert.equal(spec.topkOrder, "topk-then-relu");
  await assertStored(spec.weights.W_enc, `${folder}/${WEIGHTS}`, written.W_enc, "F16", [D_IN, D_SAE]);

  // Without k, SAELens 6 uses 100, which this 6-feature SAE cannot hold.
  await pythonWriteCfg(folder, v6Cfg("topk"));
  await assertRejects(loadSaeLens(folder), ConfigError, `${folder}/cfg.json`, "k 100", "6 features");
});

Deno.test("SAELens topk with rescale_acts_by_decoder_norm loads when W_dec rows are unit, not otherwise", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/rescale`;
  const unitRows = [
    [0.5, 0.5, 0.5, 0.5],
    [1, 0, 0, 0],
    [0, -1, 0, 0],
    [0.5, -0.5, 0.5, -0.5],
    [0, 0, 0, 1],
    [0, 0, 1, 0],
  ];
  const withDecoder = (rows: number[][]) =>
    saeLensTensors("F16").map((t) => t.name === "W_dec" ? { ...t, values: rows.flat() } : t);
  const cfg = v6Cfg("topk", { k: 2, rescale_acts_by_decoder_norm: true });
  await pythonWriteSaeFolder(folder, cfg, WEIGHTS, withDecoder(unitRows));
  assert.equal((await loadSaeLens(folder)).k, 2);

  const scaled = unitRows.map((row, i) => i === 4 ? row.map((v) => 2 * v) : row);
  await pythonWriteSaeFolder(folder, cfg, WEIGHTS, withDecoder(scaled));
  await assertRejects(loadSaeLens(folder), ConfigError, `${folder}/cfg.json`, "rescale_acts_by_decoder_norm", "row 4");
});

Deno.test("pre-6.0 SAELens standard cfg: hook_point, activation_fn_str, no d_sae (from W_enc), no architecture", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/gpt2`;
  const cfg = {
    model_name: "gpt2-small",
    hook_point: "blocks.8.hook_resid_pre",
    hook_point_layer: 8,
    hook_point_head_index: null,
    dataset_path: "Skylion007/openwebtext",
    is_dataset_tokenized: false,
    context_size: 128,
    use_cached_activations: false,
    d_in: D_IN,
    expansion_factor: 1.5,
    b_dec_init_method: "geometric_median",
    lr: 0.0004,
    l1_coefficient: 0.00008,
    dtype: "torch.float32",
    device: "cuda",
    activation_fn_str: "relu",
    normalize_activations: false,
    sae_lens_training_version: "3.0.0",
  };
  const written = await pythonWriteSaeFolder(folder, cfg, WEIGHTS, saeLensTensors("F32"));
  const spec = await loadSaeLens(folder);
  assert.deepEqual(fieldsOf(spec), {
    id: folder,
    source: folder,
    architecture: "relu",
    dIn: D_IN,
    dSae: D_SAE,
    applyBDecToInput: true,
    normalization: { kind: "none" },
    hookName: "blocks.8.hook_resid_pre",
    modelId: "gpt2-small",
  });
  await assertStored(spec.weights.W_enc, `${folder}/${WEIGHTS}`, written.W_enc, "F32", [D_IN, D_SAE]);
});

Deno.test("pre-6.0 SAELens TopK: 'standard' + activation_fn_str topk, and architecture topk, k from activation_fn_kwargs", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/old-topk`;
  const old = {
    architecture: "standard",
    d_in: D_IN,
    d_sae: D_SAE,
    hook_name: "blocks.0.hook_resid_post",
    activation_fn_str: "topk",
    activation_fn_kwargs: { k: 2 },
    sae_lens_version: "4.4.1",
  };
  await pythonWriteSaeFolder(folder, old, WEIGHTS, saeLensTensors("F32"));
  let spec = await loadSaeLens(folder);
  assert.deepEqual([spec.architecture, spec.k, spec.topkOrder, spec.hookName], [
    "topk",
    2,
    "topk-then-relu",
    "blocks.0.hook_resid_post",
  ]);

  await pythonWriteCfg(folder, {
    ...old,
    architecture: "topk",
    activation_fn_kwargs: { k: 5 },
    sae_lens_version: "5.3.3",
  });
  spec = await loadSaeLens(folder);
  assert.deepEqual([spec.architecture, spec.k], ["topk", 5]);

  // A 5.x topk cfg without activation_fn_kwargs: SAELens takes the top-level k.
  const { activation_fn_kwargs: _, ...noKwargs } = old;
  await pythonWriteCfg(folder, { ...noKwargs, architecture: "topk", k: 4, sae_lens_version: "5.9.0" });
  assert.equal((await loadSaeLens(folder)).k, 4);

  // SAELens 5 asserted k for the TopK activation.
  await pythonWriteCfg(folder, { ...noKwargs });
  await assertRejects(loadSaeLens(folder), DataError, `${folder}/cfg.json`, "activation_fn_kwargs.k");

  await pythonWriteCfg(folder, { ...old, activation_fn_str: "tanh-relu" });
  await assertRejects(loadSaeLens(folder), ConfigError, `${folder}/cfg.json`, "tanh-relu", '"relu"');
});

Deno.test("normalize_activations: each SAELens mode, the pre-6.0 booleans, and the scaling factor rules", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/norm`;
  await pythonWriteSaeFolder(folder, v6Cfg("standard"), WEIGHTS, saeLensTensors("F32"));
  const cfgPath = `${folder}/cfg.json`;
  const load = async (mode: unknown, normScalingFactor?: number) => {
    await pythonWriteCfg(folder, v6Cfg("standard", { normalize_activations: mode }));
    return (await loadSaeLens(folder, { normScalingFactor })).normalization;
  };
  assert.deepEqual(await load("none"), { kind: "none" });
  assert.deepEqual(await load(null), { kind: "none" });
  assert.deepEqual(await load(false), { kind: "none" });
  assert.deepEqual(await load("constant_norm_rescale"), { kind: "constant_norm_rescale" });
  assert.deepEqual(await load("layer_norm"), { kind: "layer_norm" });
  assert.deepEqual(await load("expected_average_only_in", 0.25), { kind: "scale", factor: 0.25 });
  assert.deepEqual(await load(true, 2.5), { kind: "scale", factor: 2.5 });

  await assertRejects(
    load("expected_average_only_in"),
    ConfigError,
    cfgPath,
    "norm_scaling_factor",
    "normScalingFactor",
  );
  await assertRejects(load("expected_average_only_in", -1), ConfigError, cfgPath, "normScalingFactor -1");
  await assertRejects(load("none", 3), ConfigError, cfgPath, "normScalingFactor 3");
  await assertRejects(load("layer_norm", 3), ConfigError, cfgPath, "layer_norm");
  await assertRejects(
    load("batch_norm"),
    ConfigError,
    cfgPath,
    '"batch_norm"',
    "none, expected_average_only_in, constant_norm_rescale, layer_norm",
  );
});

Deno.test("unknown or unsupported architecture: a ConfigError naming cfg.json and the supported ones", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/gated`;
  await pythonWriteSaeFolder(folder, v6Cfg("gated"), WEIGHTS, saeLensTensors("F32"));
  await assertRejects(loadSaeLens(folder), ConfigError, `${folder}/cfg.json`, '"gated"', "standard, jumprelu, topk");
});

Deno.test("missing tensors: a DataError naming the weights file and the key", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/missing`;
  const file = `${folder}/${WEIGHTS}`;
  await pythonWriteSaeFolder(
    folder,
    v6Cfg("standard"),
    WEIGHTS,
    saeLensTensors("F32").filter((t) => t.name !== "W_dec"),
  );
  await assertRejects(loadSaeLens(folder), DataError, file, '"W_dec"');

  // jumprelu needs threshold; the same tensors without it.
  await pythonWriteSaeFolder(folder, v6Cfg("jumprelu"), WEIGHTS, saeLensTensors("F32"));
  await assertRejects(loadSaeLens(folder), DataError, file, '"threshold"', "W_enc, W_dec, b_enc, b_dec, threshold");
});

Deno.test("d_in / d_sae disagreeing with the tensors: a DataError naming cfg.json, the weights file and both shapes", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/mismatch`;
  const file = `${folder}/${WEIGHTS}`;
  const cfgPath = `${folder}/cfg.json`;
  await pythonWriteSaeFolder(folder, v6Cfg("standard", { d_in: 5 }), WEIGHTS, saeLensTensors("F32"));
  await assertRejects(loadSaeLens(folder), DataError, file, cfgPath, '"W_enc"', "[4, 6]", "[5, 6]", "d_in 5");

  await pythonWriteCfg(folder, v6Cfg("standard", { d_sae: 7 }));
  await assertRejects(loadSaeLens(folder), DataError, file, cfgPath, "[4, 6]", "[4, 7]", "d_sae 7");

  // d_sae absent: W_enc decides, and the other tensors must agree with it.
  const { d_sae: _, ...noWidth } = v6Cfg("standard");
  const tensors = saeLensTensors("F32").map((t) => t.name === "b_enc" ? tensor("b_enc", "F32", [5], 3) : t);
  await pythonWriteSaeFolder(folder, noWidth, WEIGHTS, tensors);
  await assertRejects(loadSaeLens(folder), DataError, file, '"b_enc"', "[5]", "[6]", "d_sae 6 from W_enc");

  await pythonWriteSaeFolder(folder, noWidth, WEIGHTS, [tensor("W_enc", "F32", [24], 2)]);
  await assertRejects(loadSaeLens(folder), DataError, file, '"W_enc"', "[24]", "[d_in, d_sae]");
});

Deno.test("weights in F64 are read as float32 rather than referred to in place", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/f64`;
  const written = await pythonWriteSaeFolder(folder, v6Cfg("standard"), WEIGHTS, saeLensTensors("F64"));
  const spec = await loadSaeLens(folder);
  assertRead(spec.weights.W_enc, written.W_enc, [D_IN, D_SAE]);
  assertRead(spec.weights.W_dec, written.W_dec, [D_SAE, D_IN]);
});

Deno.test("folder problems: missing folder, cfg.json or weights, a release folder of several SAEs, a bad cfg.json", async () => {
  await using dir = await tempDir();
  await assertRejects(loadSaeLens(`${dir.path}/nowhere`), ConfigError, `${dir.path}/nowhere`, "no such folder");

  const release = `${dir.path}/release`;
  for (const layer of [10, 2, 6]) {
    await pythonWriteSaeFolder(`${release}/blocks.${layer}.hook_resid_post`, v6Cfg("standard"), WEIGHTS, []);
  }
  await assertRejects(
    loadSaeLens(release),
    ConfigError,
    release,
    "blocks.2.hook_resid_post, blocks.6.hook_resid_post, blocks.10.hook_resid_post",
  );

  const noWeights = `${dir.path}/no-weights`;
  await pythonWriteCfg(noWeights, v6Cfg("standard"));
  await assertRejects(loadSaeLens(noWeights), ConfigError, noWeights, WEIGHTS);

  const bad = `${dir.path}/bad-cfg`;
  const cfgPath = `${bad}/cfg.json`;
  await pythonWriteSaeFolder(bad, v6Cfg("standard"), WEIGHTS, saeLensTensors("F32"));
  await pythonWriteCfg(bad, null, { raw: "{not json" });
  await assertRejects(loadSaeLens(bad), DataError, cfgPath, "not valid JSON");
  await pythonWriteCfg(bad, [1, 2]);
  await assertRejects(loadSaeLens(bad), DataError, cfgPath, "not a JSON object");
  await pythonWriteCfg(bad, v6Cfg("standard", { d_in: "4" }));
  await assertRejects(loadSaeLens(bad), DataError, cfgPath, 'd_in is "4"', "positive integer");
  await pythonWriteCfg(bad, v6Cfg("standard", { apply_b_dec_to_input: "yes" }));
  await assertRejects(loadSaeLens(bad), DataError, cfgPath, "apply_b_dec_to_input", "true or false");
  await pythonWriteCfg(bad, v6Cfg("standard", {}, { sae_lens_version: "latest" }));
  await assertRejects(loadSaeLens(bad), DataError, cfgPath, "sae_lens_version", '"latest"');
});
