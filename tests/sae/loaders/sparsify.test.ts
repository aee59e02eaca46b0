/**
 * loadSparsify on sparsify run folders written by Python's standard library: per-hookpoint subfolders, the
 * SparseCoderConfig keys (and the older EleutherAI/sae ones), transcoders, hook names, and every error naming its file.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { loadSparsify } from "../../../modules/sae/sparsify.ts";
import { sparsifyHookName } from "../../../modules/sae/sparsify_hookpoint.ts";
import { downloadSaeFolder } from "../../../modules/sae/sae_folder.ts";
import { tempDir } from "../../helpers.ts";
import type { PyTensor } from "../../io/tensors/python_safetensors.ts";
import { assertRead, assertRejects, assertStored, fieldsOf } from "./loader_asserts.ts";
import { serveBytes, testOptions, TestServer } from "../../io/hub/fake_hub.ts";
import { pythonWriteCfg, pythonWriteSaeFolder, tensor } from "./python_sae_folder.ts";

const WEIGHTS = "sae.safetensors";
const D_IN = 4;

/** The tensors `SparseCoder.save_to_disk` writes (W_dec optional, as with `decoder=False`). */
function sparsifyTensors(dtype: PyTensor["dtype"], latents: number, { decoder = true } = {}): PyTensor[] {
  return [
    tensor("encoder.weight", dtype, [latents, D_IN], 1),
    tensor("encoder.bias", dtype, [latents], 2),
    ...(decoder ? [tensor("W_dec", dtype, [latents, D_IN], 3)] : []),
    tensor("b_dec", dtype, [D_IN], 4),
  ];
}

/** A `SparseCoderConfig.to_dict()` plus `d_in`, as `save_to_disk` writes it. */
function sparsifyCfg(extra: Record<string, unknown> = {}) {
  return {
    activation: "topk",
    expansion_factor: 2,
    normalize_decoder: true,
    num_latents: 0,
    k: 3,
    multi_topk: false,
    skip_connection: false,
    transcode: false,
    d_in: D_IN,
    ...extra,
  };
}

Deno.test("sparsify hookpoint folder: relu-then-topk, b_dec centring, encoder.weight in place transposed, hook name", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/run/layers.6`;
  const written = await pythonWriteSaeFolder(folder, sparsifyCfg(), WEIGHTS, sparsifyTensors("F32", 8));
  const spec = await loadSparsify(folder);
  assert.deepEqual(fieldsOf(spec), {
    id: folder,
    source: folder,
    architecture: "topk",
    topkOrder: "relu-then-topk",
    dIn: D_IN,
    dSae: 8,
    k: 3,
    applyBDecToInput: true,
    normalization: { kind: "none" },
    hookName: "blocks.6.hook_resid_post",
  });
  const file = `${folder}/${WEIGHTS}`;
  assert.equal(spec.weights.encoderTransposed, true);
  await assertStored(spec.weights.W_enc, file, written["encoder.weight"], "F32", [8, D_IN]);
  await assertStored(spec.weights.W_dec, file, written.W_dec, "F32", [8, D_IN]);
  assertRead(spec.weights.b_enc, written["encoder.bias"], [8]);
  assertRead(spec.weights.b_dec, written.b_dec, [D_IN]);
  assert.equal(spec.weights.threshold, undefined);

  const renamed = await loadSparsify(folder, { id: "pythia/layers.6", hookpoint: "gpt_neox.layers.2" });
  assert.deepEqual([renamed.id, renamed.hookName], ["pythia/layers.6", "blocks.2.hook_resid_post"]);
});

Deno.test("sparsify run root: a ConfigError listing its hookpoint folders in natural order", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/run`;
  for (const layer of [10, 2, 6]) {
    await pythonWriteSaeFolder(`${root}/layers.${layer}`, sparsifyCfg(), WEIGHTS, []);
  }
  await Deno.mkdir(`${root}/wandb`);
  await assertRejects(loadSparsify(root), ConfigError, root, "3 SAE folder(s): layers.2, layers.6, layers.10");
});

Deno.test("older EleutherAI/sae cfg (no activation/transcode), num_latents set, BF16, no W_dec; MLP hookpoint", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/layers.3.mlp`;
  const cfg = { expansion_factor: 32, normalize_decoder: true, num_latents: 6, k: 2, d_in: D_IN };
  const written = await pythonWriteSaeFolder(folder, cfg, WEIGHTS, sparsifyTensors("BF16", 6, { decoder: false }));
  const spec = await loadSparsify(folder);
  assert.deepEqual([spec.dSae, spec.k, spec.hookName, spec.applyBDecToInput], [6, 2, "blocks.3.hook_mlp_out", true]);
  await assertStored(spec.weights.W_enc, `${folder}/${WEIGHTS}`, written["encoder.weight"], "BF16", [6, D_IN]);
  assertRead(spec.weights.b_enc, written["encoder.bias"], [6]);
  assertRead(spec.weights.b_dec, written.b_dec, [D_IN]);
  assert.equal("W_dec" in spec.weights, false);
});

Deno.test("sparsify transcoder: the input is not centred by b_dec, and a block's input is its resid_pre", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/layers.1`;
  await pythonWriteSaeFolder(folder, sparsifyCfg({ transcode: true }), WEIGHTS, sparsifyTensors("F16", 8));
  const spec = await loadSparsify(folder);
  assert.deepEqual([spec.applyBDecToInput, spec.hookName], [false, "blocks.1.hook_resid_pre"]);
  assert.equal((await loadSparsify(folder, { hookpoint: "layers.1.mlp" })).hookName, undefined);
});

Deno.test("sparsify hookpoints map to TransformerLens hook names where one exists", () => {
  const autoencoder = { transcode: false };
  assert.equal(sparsifyHookName("layers.0", autoencoder), "blocks.0.hook_resid_post");
  assert.equal(sparsifyHookName("h.11", autoencoder), "blocks.11.hook_resid_post");
  assert.equal(sparsifyHookName("model.layers.7.mlp", autoencoder), "blocks.7.hook_mlp_out");
  assert.equal(sparsifyHookName("layers.7.self_attn", autoencoder), "blocks.7.hook_attn_out");
  assert.equal(sparsifyHookName("embed_tokens", autoencoder), undefined);
  assert.equal(sparsifyHookName("layers.7.mlp.act_fn", autoencoder), undefined);
  assert.equal(sparsifyHookName("layers.7", { transcode: true }), "blocks.7.hook_resid_pre");
});

Deno.test("sparsify config errors: unsupported activation or flags, missing k, k over the width", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/layers.0`;
  const cfgPath = `${folder}/cfg.json`;
  await pythonWriteSaeFolder(folder, sparsifyCfg(), WEIGHTS, sparsifyTensors("F32", 8));
  const rejects = async (cfg: unknown, type: typeof ConfigError | typeof DataError, ...parts: string[]) => {
    await pythonWriteCfg(folder, cfg);
    await assertRejects(loadSparsify(folder), type, cfgPath, ...parts);
  };
  await rejects(sparsifyCfg({ activation: "groupmax" }), ConfigError, '"groupmax"', "topk");
  await rejects(sparsifyCfg({ signed: true }), ConfigError, "signed");
  await rejects(
    sparsifyCfg({ gram_lookup: true, matching_pursuit: true }),
    ConfigError,
    "gram_lookup, matching_pursuit",
  );
  const { k: _, ...noK } = sparsifyCfg();
  await rejects(noK, DataError, "k is missing");
  await rejects(sparsifyCfg({ k: 2.5 }), DataError, "k is 2.5", "positive integer");
  await rejects(sparsifyCfg({ num_latents: -1 }), DataError, "num_latents", "integer >= 0");
  await rejects(sparsifyCfg({ k: 9 }), ConfigError, "k 9", "8 latents");
});

Deno.test("sparsify tensors: missing ones and widths disagreeing with cfg.json are DataErrors naming both files", async () => {
  await using dir = await tempDir();
  const folder = `${dir.path}/layers.0`;
  const file = `${folder}/${WEIGHTS}`;
  const cfgPath = `${folder}/cfg.json`;
  await pythonWriteSaeFolder(
    folder,
    sparsifyCfg(),
    WEIGHTS,
    sparsifyTensors("F32", 8).filter((t) => t.name !== "encoder.bias"),
  );
  await assertRejects(loadSparsify(folder), DataError, file, '"encoder.bias"', "encoder.weight, encoder.bias, b_dec");

  await pythonWriteSaeFolder(folder, sparsifyCfg({ num_latents: 6 }), WEIGHTS, sparsifyTensors("F32", 8));
  await assertRejects(loadSparsify(folder), DataError, file, cfgPath, '"encoder.weight"', "[8, 4]", "[6, 4]");

  // num_latents 0: the width is d_in × expansion_factor = 4 × 3.
  await pythonWriteCfg(folder, sparsifyCfg({ expansion_factor: 3 }));
  await assertRejects(loadSparsify(folder), DataError, file, cfgPath, "expansion_factor 3", "[12, 4]");

  await pythonWriteCfg(folder, sparsifyCfg({ d_in: 5 }));
  await assertRejects(loadSparsify(folder), DataError, file, cfgPath, "d_in 5", "[10, 5]");

  // d_in absent: encoder.weight says, and b_dec must agree.
  const { d_in: _, ...noDIn } = sparsifyCfg();
  const tensors = sparsifyTensors("F32", 8).map((t) => t.name === "b_dec" ? tensor("b_dec", "F32", [3], 4) : t);
  await pythonWriteSaeFolder(folder, noDIn, WEIGHTS, tensors);
  await assertRejects(loadSparsify(folder), DataError, file, '"b_dec"', "d_in 4 from encoder.weight", "[4]");
});

Deno.test("a sparsify hookpoint folder downloads from a Hub repository, then loads offline from the cache", async () => {
  await using repo = await tempDir();
  await using cache = await tempDir();
  await pythonWriteSaeFolder(`${repo.path}/layers.6`, sparsifyCfg(), WEIGHTS, sparsifyTensors("F32", 8));
  await using server = new TestServer(async (request, url) => {
    const prefix = "/acme/sae-run/resolve/main/";
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith(prefix)) return new Response("no", { status: 404 });
    try {
      return serveBytes(request, await Deno.readFile(`${repo.path}/${path.slice(prefix.length)}`));
    } catch {
      return new Response("no", { status: 404 });
    }
  });
  const { options } = testOptions(server.url, cache.path, { token: "hf_abc" });
  const folder = await downloadSaeFolder("acme/sae-run", "layers.6", WEIGHTS, { hub: options });
  assert.equal(folder, `${cache.path}/models/acme/sae-run/main/layers.6`);
  const spec = await loadSparsify(folder);
  assert.equal(spec.hookName, "blocks.6.hook_resid_post");
  assert.deepEqual(server.requests.map((r) => r.path.split("/").slice(-2).join("/")), [
    "layers.6/cfg.json",
    `layers.6/${WEIGHTS}`,
  ]);
  assert.ok(server.requests.every((r) => r.headers.get("authorization") === "Bearer hf_abc"));
  const offline = await downloadSaeFolder("acme/sae-run", "layers.6", WEIGHTS, { hub: { ...options, offline: true } });
  assert.equal(offline, folder);
  assert.equal(server.requests.length, 2);
  await assert.rejects(
    downloadSaeFolder("acme/sae-run", "../escape", WEIGHTS, { hub: options }),
    /invalid SAE subfolder "..\/escape"/,
  );
});
