/**
 * Loading a decoder by Hub id, against a local server with the Hub's `/{id}/resolve/{revision}/{file}` layout:
 * single-file and sharded checkpoints, the token sent, and offline runs served from the cache.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDecoder } from "@saeflow/forward";
import { writeSafetensors } from "@saeflow/io";
import { padBatch } from "@saeflow/tokenize";
import { tempDir } from "../helpers.ts";
import { serveBytes, testOptions, TestServer } from "../io/hub/fake_hub.ts";
import { writeCheckpoint } from "./fixtures/checkpoint_dir.ts";
import { gemma2Config, randomCheckpoint } from "./reference/random_checkpoint.ts";

const HOOK = "blocks.1.hook_resid_post";

/** Serves the files of `dir` as model `id` at revision main; everything else is a 404. */
function modelServer(id: string, dir: string) {
  return new TestServer(async (request, url) => {
    const prefix = `/${id}/resolve/main/`;
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith(prefix)) return new Response("no such repo", { status: 404 });
    try {
      return serveBytes(request, await Deno.readFile(join(dir, path.slice(prefix.length))));
    } catch {
      return new Response("entry not found", { status: 404 });
    }
  });
}

async function residPost(source: string, hub?: ReturnType<typeof testOptions>["options"]) {
  const model = await loadDecoder(source, { hooks: [HOOK], hub });
  try {
    return (await model.run(padBatch([[3, 1, 4, 1, 5, 9]], { padId: 0, hasBos: false }))).activations.get(HOOK)!;
  } finally {
    await model.release();
  }
}

Deno.test("a single-file checkpoint by Hub id equals the local folder, then loads offline from the cache", async () => {
  await using repo = await tempDir();
  await using cache = await tempDir();
  const config = gemma2Config({ num_hidden_layers: 2 });
  await writeCheckpoint(repo.path, config, randomCheckpoint(config, 3));
  await using server = modelServer("acme/tiny-gemma", repo.path);
  const { options } = testOptions(server.url, cache.path, { token: "hf_secret" });
  const online = await residPost("acme/tiny-gemma", options);
  assert.deepEqual(online, await residPost(repo.path));
  const asked = server.requests.map((r) => r.path);
  assert.deepEqual(asked, [
    "/acme/tiny-gemma/resolve/main/config.json",
    "/acme/tiny-gemma/resolve/main/model.safetensors.index.json",
    "/acme/tiny-gemma/resolve/main/model.safetensors",
  ]);
  assert.ok(server.requests.every((r) => r.headers.get("authorization") === "Bearer hf_secret"));
  // Offline: the 404 of the index was remembered, so nothing needs the network.
  const offline = await residPost("acme/tiny-gemma", { ...options, offline: true });
  assert.deepEqual(offline, online);
  assert.equal(server.requests.length, asked.length);
});

Deno.test("a sharded checkpoint by Hub id downloads every shard of its index", async () => {
  await using repo = await tempDir();
  await using cache = await tempDir();
  const config = gemma2Config({ num_hidden_layers: 2 });
  const checkpoint = randomCheckpoint(config, 6);
  await writeCheckpoint(repo.path, config, checkpoint);
  const expected = await residPost(repo.path);
  await Deno.remove(join(repo.path, "model.safetensors"));
  const names = [...checkpoint.keys()].sort();
  const shards = [names.slice(0, 5), names.slice(5)];
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    await writeSafetensors(
      join(repo.path, file),
      Object.fromEntries(shard.map((n) => [n, { shape: checkpoint.get(n)!.shape, data: checkpoint.get(n)!.data }])),
    );
    for (const n of shard) weightMap[n] = file;
  }
  await Deno.writeTextFile(join(repo.path, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
  await using server = modelServer("acme/sharded", repo.path);
  const { options } = testOptions(server.url, cache.path);
  assert.deepEqual(await residPost("acme/sharded", options), expected);
  assert.deepEqual(server.requests.map((r) => r.path.split("/").pop()).slice(2).sort(), [
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
  ]);
});

Deno.test("a Hub id that is not there fails with the Hub's not-found error naming the file", async () => {
  await using repo = await tempDir();
  await using cache = await tempDir();
  await using server = modelServer("acme/exists", repo.path);
  const { options } = testOptions(server.url, cache.path);
  await assert.rejects(
    loadDecoder("acme/missing", { hooks: [HOOK], hub: options }),
    /config\.json of model "acme\/missing"/,
  );
});
