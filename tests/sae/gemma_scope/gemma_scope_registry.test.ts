/**
 * The shipped Gemma Scope registry: the SAEs MOSAIC used resolve to the canonical files (values from SAELens's
 * pretrained_saes.yaml, see data/gemma_scope.yaml), lookups are exact, and a bad registry file is a ConfigError.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import {
  findGemmaScopeSae,
  GEMMA_SCOPE_REGISTRY_PATH,
  loadGemmaScopeRegistry,
} from "../../../modules/sae/gemma_scope_registry.ts";
import { tempDir } from "../../helpers.ts";

Deno.test("MOSAIC's SAEs: 2B layers 5/12/19 at 16k and 65k, 9B and 9B-IT layers 9/20/31 at 16k and 131k", () => {
  const expected: [string, number, string, number][] = [
    ["gemma-2-2b", 5, "16k", 68],
    ["gemma-2-2b", 12, "16k", 82],
    ["gemma-2-2b", 19, "16k", 73],
    ["gemma-2-2b", 5, "65k", 105],
    ["gemma-2-2b", 12, "65k", 72],
    ["gemma-2-2b", 19, "65k", 115],
    ["gemma-2-9b", 9, "16k", 100],
    ["gemma-2-9b", 20, "16k", 68],
    ["gemma-2-9b", 31, "16k", 114],
    ["gemma-2-9b", 9, "131k", 75],
    ["gemma-2-9b", 20, "131k", 114],
    ["gemma-2-9b", 31, "131k", 92],
    ["gemma-2-9b-it", 9, "16k", 88],
    ["gemma-2-9b-it", 20, "16k", 91],
    ["gemma-2-9b-it", 31, "16k", 76],
    ["gemma-2-9b-it", 9, "131k", 121],
    ["gemma-2-9b-it", 20, "131k", 81],
    ["gemma-2-9b-it", 31, "131k", 109],
  ];
  for (const [model, layer, width, l0] of expected) {
    const sae = findGemmaScopeSae({ model, layer, width });
    assert.equal(sae.averageL0, l0, `${model} ${layer} ${width}`);
    assert.equal(sae.path, `layer_${layer}/width_${width}/average_l0_${l0}/params.npz`);
    assert.equal(sae.hookName, `blocks.${layer}.hook_resid_post`);
    assert.equal(sae.neuronpediaId, `${model}/${layer}-gemmascope-res-${width}`);
    assert.equal(sae.modelId, model);
  }
  assert.deepEqual(findGemmaScopeSae({ model: "google/gemma-2-2b", layer: 12, width: 16384, averageL0: 82 }), {
    id: "gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82",
    release: "gemma-scope-2b-pt-res",
    repo: "google/gemma-scope-2b-pt-res",
    modelId: "gemma-2-2b",
    layer: 12,
    width: "16k",
    dModel: 2304,
    dSae: 16384,
    averageL0: 82,
    path: "layer_12/width_16k/average_l0_82/params.npz",
    hookName: "blocks.12.hook_resid_post",
    neuronpediaId: "gemma-2-2b/12-gemmascope-res-16k",
  });
  const wide = findGemmaScopeSae({ model: "gemma-2-2b", layer: 12, width: "1m" });
  assert.deepEqual([wide.dSae, wide.averageL0], [1048576, 107]);
  assert.equal(findGemmaScopeSae({ model: "gemma-2-9b", layer: 9, width: "16k" }).dModel, 3584);
});

Deno.test("9B-IT never resolves to the 9B pretrained SAEs, and the reverse", () => {
  for (const layer of [9, 20, 31]) {
    for (const width of ["16k", "131k"]) {
      const it = findGemmaScopeSae({ model: "gemma-2-9b-it", layer, width });
      const pt = findGemmaScopeSae({ model: "gemma-2-9b", layer, width });
      assert.equal(it.repo, "google/gemma-scope-9b-it-res");
      assert.equal(pt.repo, "google/gemma-scope-9b-pt-res");
      assert.notEqual(it.id, pt.id);
    }
  }
  assert.throws(
    () => findGemmaScopeSae({ model: "gemma-2-9b-it", layer: 12, width: "16k" }),
    (e) =>
      e instanceof ConfigError &&
      e.message.includes("no Gemma Scope SAE for gemma-2-9b-it layer 12 width 16k") &&
      e.message.includes(
        "gemma-2-9b-it (google/gemma-scope-9b-it-res) has layers 9, 20, 31 at 16k; layers 9, 20, 31 at 131k",
      ),
  );
});

Deno.test("unknown models, layers, widths and average L0s are ConfigErrors listing what exists", () => {
  const rejects = (query: Parameters<typeof findGemmaScopeSae>[0], pattern: RegExp) =>
    assert.throws(() => findGemmaScopeSae(query), (e) => e instanceof ConfigError && pattern.test(e.message));
  rejects(
    { model: "gemma-2-27b", layer: 22, width: "131k" },
    /no Gemma Scope SAEs for model "gemma-2-27b" .*; it lists gemma-2-2b, gemma-2-9b, gemma-2-9b-it$/,
  );
  rejects({ model: "gemma-2", layer: 12, width: "16k" }, /no Gemma Scope SAEs for model "gemma-2"/);
  rejects(
    { model: "gemma-2-2b", layer: 26, width: "16k" },
    /gemma-2-2b \(google\/gemma-scope-2b-pt-res\) has layers 0-25 at 16k; layer 12 at 32k; layers 0-25 at 65k; .*layers 5, 12, 19 at 1m$/,
  );
  rejects({ model: "gemma-2-2b", layer: 12, width: "131k" }, /no Gemma Scope SAE for gemma-2-2b layer 12 width 131k/);
  rejects({ model: "gemma-2-2b", layer: 12, width: 1000 }, /width 1000/);
  rejects(
    { model: "gemma-2-2b", layer: 12, width: "16k", averageL0: 41 },
    /listed with average L0 82 \(its canonical SAE\), not 41/,
  );
});

Deno.test("the registry lists every layer of 2B and 9B at their main widths", () => {
  const registry = loadGemmaScopeRegistry();
  assert.equal(registry.source, GEMMA_SCOPE_REGISTRY_PATH);
  const layersAt = (model: string, width: string) =>
    registry.list(model).filter((sae) => sae.width === width).map((sae) => sae.layer);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  assert.deepEqual(layersAt("gemma-2-2b", "16k"), range(26));
  assert.deepEqual(layersAt("gemma-2-2b", "65k"), range(26));
  assert.deepEqual(layersAt("gemma-2-9b", "16k"), range(42));
  assert.deepEqual(layersAt("gemma-2-9b", "131k"), range(42));
  assert.deepEqual(registry.list("gemma-2-9b-it").map((sae) => `${sae.layer}/${sae.width}`), [
    "9/16k",
    "20/16k",
    "31/16k",
    "9/131k",
    "20/131k",
    "31/131k",
  ]);
  assert.equal(registry.list().length, registry.models.flatMap((model) => registry.list(model)).length);
  assert.equal(new Set(registry.list().map((sae) => sae.id)).size, registry.list().length);
});

Deno.test("a bad registry file is a ConfigError naming the file and the entry; files facts reach the entries", async () => {
  await using dir = await tempDir();
  const write = async (name: string, text: string) => {
    const path = `${dir.path}/${name}.yaml`;
    await Deno.writeTextFile(path, text);
    return path;
  };
  const model = (extra: string) =>
    `m:\n  release: r\n  repo: o/r\n  layers: 4\n  dModel: 8\n  hook: blocks.{layer}.hook_resid_post\n  neuronpedia: m/{layer}-res-{width}\n${extra}`;
  const cases: [string, string, RegExp][] = [
    ["list", "- a\n- b\n", /expected a mapping of model ids/],
    ["width", model("  averageL0:\n    17k: { 1: 50 }\n"), /model "m": unknown width "17k"/],
    ["layer", model("  averageL0:\n    16k: { 4: 50 }\n"), /model "m": averageL0\.16k: layer 4 is not one of 0\.\.3/],
    ["l0", model("  averageL0:\n    16k: { 1: fifty }\n"), /averageL0\.16k\.1 must be a positive integer/],
    ["repo", model("  averageL0: {}\n").replace("o/r", "just-a-name"), /"repo" must be a Hub repository id/],
    ["sha", model("  averageL0: {}\n  files:\n    x: { sha256: abc }\n"), /files\."x" must be/],
    ["yaml", "m: [unclosed\n", /cannot read the Gemma Scope registry/],
  ];
  for (const [name, text, pattern] of cases) {
    const path = await write(name, text);
    assert.throws(
      () => loadGemmaScopeRegistry(path),
      (e) => e instanceof ConfigError && e.message.startsWith(path) && pattern.test(e.message),
      name,
    );
  }
  const sha256 = "ab".repeat(32);
  const good = await write(
    "good",
    model(
      `  averageL0:\n    16k: { 1: 50 }\n  files:\n    layer_1/width_16k/average_l0_50/params.npz: { size: 123, sha256: ${sha256} }\n`,
    ),
  );
  const sae = findGemmaScopeSae({ model: "m", layer: 1, width: "16k" }, loadGemmaScopeRegistry(good));
  assert.deepEqual([sae.size, sae.sha256, sae.hookName, sae.neuronpediaId], [
    123,
    sha256,
    "blocks.1.hook_resid_post",
    "m/1-res-16k",
  ]);
});
