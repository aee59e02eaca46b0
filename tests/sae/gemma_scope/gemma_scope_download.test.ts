/**
 * Downloading a registry entry's params.npz from a local server with the Hub's layout: cache layout, cache hits
 * without requests, resumed downloads, tokens, verification, and the Hub's refusals as typed errors.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DataError } from "@saeflow/core";
import { HubAuthError, HubDownloadError, HubNotFoundError } from "@saeflow/io";
import {
  downloadGemmaScopeSae,
  findGemmaScopeSae,
  loadGemmaScopeSae,
} from "../../../modules/sae/gemma_scope_registry.ts";
import { loadGemmaScopeNpz } from "../../../modules/sae/gemma_scope_npz.ts";
import { serveBytes, testOptions, TestServer, truncated } from "../../io/hub/fake_hub.ts";
import { tempDir } from "../../helpers.ts";
import { gemmaScopeArrays, writeNpz } from "./npz_fixtures.ts";

const SAE = findGemmaScopeSae({ model: "gemma-2-2b", layer: 12, width: "16k" });
const URL_PATH = "/google/gemma-scope-2b-pt-res/resolve/main/layer_12/width_16k/average_l0_82/params.npz";

/** A small params.npz (d_model 16, d_sae 48) written by NumPy. */
async function smallNpz(): Promise<Uint8Array<ArrayBuffer>> {
  await using dir = await tempDir();
  await writeNpz(`${dir.path}/params.npz`, gemmaScopeArrays(16, 48), { seed: 7 });
  return await Deno.readFile(`${dir.path}/params.npz`);
}

function hubServing(bytes: Uint8Array<ArrayBuffer>) {
  return new TestServer((request, url) =>
    url.pathname === URL_PATH ? serveBytes(request, bytes) : new Response("not found", { status: 404 })
  );
}

Deno.test("downloads into models/{repo}/{revision}/{path}, then serves the cache without a request", async () => {
  const bytes = await smallNpz();
  await using cache = await tempDir();
  await using server = hubServing(bytes);
  const { options } = testOptions(server.url, cache.path, { token: "hf_test" });
  const path = await downloadGemmaScopeSae(SAE, { hub: options });
  assert.equal(path, join(cache.path, "models/google/gemma-scope-2b-pt-res/main", SAE.path));
  assert.deepEqual(await Deno.readFile(path), bytes);
  assert.deepEqual(server.requests.map((r) => r.path), [URL_PATH]);
  assert.equal(server.requests[0].headers.get("authorization"), "Bearer hf_test");
  assert.equal((await loadGemmaScopeNpz(path)).dSae, 48);

  assert.equal(await downloadGemmaScopeSae(SAE, { hub: options }), path);
  assert.equal(await downloadGemmaScopeSae(SAE, { hub: { ...options, offline: true } }), path);
  assert.equal(server.requests.length, 1);
});

Deno.test("a truncated response is resumed with a Range request; the file is byte-identical", async () => {
  const bytes = await smallNpz();
  const half = Math.floor(bytes.length / 2);
  await using cache = await tempDir();
  let calls = 0;
  await using server = new TestServer((request) => ++calls === 1 ? truncated(bytes, half) : serveBytes(request, bytes));
  const { options, log } = testOptions(server.url, cache.path);
  const path = await downloadGemmaScopeSae(SAE, { hub: options });
  assert.deepEqual(await Deno.readFile(path), bytes);
  assert.equal(server.requests[1].headers.get("range"), `bytes=${half}-`);
  assert.match(log[0], new RegExp(`body truncated at byte ${half} of ${bytes.length}`));
});

Deno.test("401 is a HubAuthError naming the repository; 404 a HubNotFoundError naming the SAE", async () => {
  await using cache = await tempDir();
  await using server = new TestServer(() => new Response("gated", { status: 401 }));
  const { options } = testOptions(server.url, cache.path);
  await assert.rejects(
    downloadGemmaScopeSae(SAE, { hub: options }),
    (e) =>
      e instanceof HubAuthError && e.status === 401 && e.message.includes(`${server.url}/google/gemma-scope-2b-pt-res`),
  );
  await using hub = hubServing(await smallNpz());
  const it = findGemmaScopeSae({ model: "gemma-2-9b-it", layer: 20, width: "16k" });
  await assert.rejects(
    downloadGemmaScopeSae(it, { hub: testOptions(hub.url, cache.path).options }),
    (e) =>
      e instanceof HubNotFoundError &&
      e.message.includes("Gemma Scope SAE gemma-scope-9b-it-res/layer_20/width_16k/average_l0_91"),
  );
  assert.equal(
    hub.requests[0].path,
    "/google/gemma-scope-9b-it-res/resolve/main/layer_20/width_16k/average_l0_91/params.npz",
  );
});

Deno.test("size and sha256 are verified when the entry knows them; a revision pins the download", async () => {
  const bytes = await smallNpz();
  await using cache = await tempDir();
  await using server = new TestServer((request, url) =>
    url.pathname.endsWith("/params.npz") ? serveBytes(request, bytes) : new Response(null, { status: 404 })
  );
  const { options } = testOptions(server.url, cache.path);
  await assert.rejects(
    downloadGemmaScopeSae({ ...SAE, size: bytes.length + 1 }, { hub: options }),
    (e) => e instanceof HubDownloadError && e.message.includes(`size is ${bytes.length} bytes`),
  );
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const pinned = await downloadGemmaScopeSae({ ...SAE, size: bytes.length, sha256 }, {
    hub: options,
    revision: "0123abc",
  });
  assert.equal(pinned, join(cache.path, "models/google/gemma-scope-2b-pt-res/0123abc", SAE.path));
  assert.equal(server.requests.at(-1)!.path, URL_PATH.replace("/main/", "/0123abc/"));
  await assert.rejects(
    downloadGemmaScopeSae(SAE, { hub: options, revision: "../x" }),
    /invalid revision "\.\.\/x": expected a branch, tag or commit name/,
  );
});

Deno.test("loadGemmaScopeSae fills in the registry's ids and refuses a file of other dimensions", async () => {
  const bytes = await smallNpz();
  await using cache = await tempDir();
  await using server = hubServing(bytes);
  const { options } = testOptions(server.url, cache.path);
  const small = { ...SAE, dModel: 16, dSae: 48 };
  const spec = await loadGemmaScopeSae(small, { hub: options });
  assert.deepEqual(
    [spec.id, spec.hookName, spec.modelId, spec.neuronpediaId, spec.dIn, spec.dSae],
    [SAE.id, "blocks.12.hook_resid_post", "gemma-2-2b", "gemma-2-2b/12-gemmascope-res-16k", 16, 48],
  );
  await assert.rejects(
    loadGemmaScopeSae(SAE, { hub: options }),
    (e) =>
      e instanceof DataError && /not the d_model 2304 × d_sae 16384 of gemma-scope-2b-pt-res\/layer_12/.test(e.message),
  );
});
