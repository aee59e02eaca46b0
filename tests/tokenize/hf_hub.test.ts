/** Hub model ids: the tokenizer files come from a local server with the Hub's `/{repo}/resolve/{revision}/{file}`. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HubNotFoundError, HubOfflineError } from "@saeflow/io";
import { loadHfTokenizer } from "@saeflow/tokenize";
import { closedPort, COMMIT, serveBytes, testOptions, TestServer } from "../io/hub/fake_hub.ts";
import { tempDir } from "../helpers.ts";
import { GEMMA } from "./fixtures.ts";

const FILES: Record<string, Uint8Array<ArrayBuffer>> = {
  "tokenizer.json": await Deno.readFile(join(GEMMA, "tokenizer.json")),
  "tokenizer_config.json": await Deno.readFile(join(GEMMA, "tokenizer_config.json")),
};

/** A model repository `google/gemma-2-2b` holding `files` at every revision. */
function modelHub(files: Record<string, Uint8Array<ArrayBuffer>> = FILES) {
  return new TestServer((request, url) => {
    const m = decodeURIComponent(url.pathname).match(/^\/google\/gemma-2-2b\/resolve\/([^/]+)\/(.+)$/);
    const bytes = m && files[m[2]];
    if (!bytes) return new Response("Entry not found", { status: 404 });
    const response = serveBytes(request, bytes);
    response.headers.set("x-repo-commit", COMMIT);
    return response;
  });
}

Deno.test("a Hub id downloads tokenizer.json and tokenizer_config.json into models/{id}/{revision}/", async () => {
  await using cache = await tempDir();
  await using server = modelHub();
  const { options } = testOptions(server.url, cache.path);
  const tokenizer = await loadHfTokenizer("google/gemma-2-2b", { hub: options });
  assert.deepEqual(tokenizer.encode("Hello, world"), [2, 4521, 235269, 2134]);
  assert.equal(tokenizer.name, "google/gemma-2-2b");
  assert.equal(tokenizer.revision, COMMIT); // the commit the Hub served, for provenance
  assert.equal(tokenizer.folder, join(cache.path, "models/google/gemma-2-2b/main"));
  assert.deepEqual(server.requests.map((r) => r.path), [
    "/google/gemma-2-2b/resolve/main/tokenizer.json",
    "/google/gemma-2-2b/resolve/main/tokenizer_config.json",
    "/google/gemma-2-2b/resolve/main/special_tokens_map.json", // optional: its 404 is remembered
  ]);
  assert.deepEqual(
    await Deno.readFile(join(cache.path, "models/google/gemma-2-2b/main/tokenizer.json")),
    FILES["tokenizer.json"],
  );

  // a second load reads the cache only: no request, and the same tokenizer offline
  const again = await loadHfTokenizer("google/gemma-2-2b", { hub: options });
  assert.equal(server.requests.length, 3);
  assert.equal(again.revision, COMMIT);
  const offline = testOptions(`http://127.0.0.1:${closedPort()}`, cache.path, { offline: true }).options;
  const cached = await loadHfTokenizer("google/gemma-2-2b", { hub: offline });
  assert.deepEqual(cached.encode("Hallo Welt"), tokenizer.encode("Hallo Welt"));
});

Deno.test("a pinned revision is requested and cached under its own name; special_tokens_map.json is used", async () => {
  await using cache = await tempDir();
  const specialTokens = new TextEncoder().encode(JSON.stringify({ pad_token: "<unk>" }));
  const config = JSON.parse(new TextDecoder().decode(FILES["tokenizer_config.json"]));
  delete config.pad_token;
  await using server = modelHub({
    ...FILES,
    "tokenizer_config.json": new TextEncoder().encode(JSON.stringify(config)),
    "special_tokens_map.json": specialTokens,
  });
  const { options } = testOptions(server.url, cache.path);
  const tokenizer = await loadHfTokenizer("google/gemma-2-2b", { hub: options, revision: COMMIT });
  assert.ok(server.requests.every((r) => r.path.startsWith(`/google/gemma-2-2b/resolve/${COMMIT}/`)));
  assert.equal(tokenizer.folder, join(cache.path, "models/google/gemma-2-2b", COMMIT));
  assert.equal(tokenizer.padId, 3); // <unk>, named only in special_tokens_map.json
});

Deno.test("offline with nothing cached is a HubOfflineError; a missing model is a HubNotFoundError", async () => {
  await using cache = await tempDir();
  const offline = testOptions(`http://127.0.0.1:${closedPort()}`, cache.path, { offline: true }).options;
  await assert.rejects(
    loadHfTokenizer("google/gemma-2-2b", { hub: offline }),
    (e) => e instanceof HubOfflineError && /tokenizer\.json of model "google\/gemma-2-2b"/.test(e.message),
  );
  await using server = modelHub();
  const { options } = testOptions(server.url, cache.path);
  await assert.rejects(
    loadHfTokenizer("google/no-such-model", { hub: options }),
    (e) => e instanceof HubNotFoundError && /tokenizer\.json of model "google\/no-such-model"/.test(e.message),
  );
});
