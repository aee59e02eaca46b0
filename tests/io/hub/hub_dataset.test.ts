import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "@saeflow/core";
import { resolveHubDataset } from "../../../modules/io/hub/hub_dataset.ts";
import { HubAuthError, HubNotFoundError, HubOfflineError } from "../../../modules/io/hub/hub_errors.ts";
import { closedPort, COMMIT, hubHandler, parquetFile, testOptions, TestServer } from "./fake_hub.ts";
import { tempDir } from "../../helpers.ts";

const TRAIN = [parquetFile(50, 1), parquetFile(30, 2)];
const TEST = [parquetFile(20, 3)];
const DATASETS = {
  "org/reviews": { default: { train: TRAIN, test: TEST } },
  "org/multi": { en: { train: TEST }, fr: { train: TEST, validation: TEST } },
};

Deno.test("listing and files come through the redirect chain; the token reaches the Hub, not the CDN", async () => {
  await using cache = await tempDir();
  await using cdn = new TestServer(hubHandler(DATASETS));
  await using hub = new TestServer(hubHandler(DATASETS, () => cdn.url));
  const { options } = testOptions(hub.url, cache.path, { token: "hf_secret" });
  const got = await resolveHubDataset({ id: "org/reviews", split: "train" }, options);
  assert.equal(got.config, "default");
  assert.equal(got.revision, COMMIT);
  assert.deepEqual(
    got.urls,
    [0, 1].map((n) => `${hub.url}/api/datasets/org/reviews/parquet/default/train/${n}.parquet`),
  );
  assert.deepEqual(got.files, [0, 1].map((n) => join(cache.path, `datasets/org/reviews/default/train/${n}.parquet`)));
  for (const [i, file] of got.files.entries()) assert.deepEqual(await Deno.readFile(file), TRAIN[i]);
  assert.deepEqual(hub.requests.map((r) => r.path), [
    "/api/datasets/org/reviews/parquet",
    "/api/datasets/org/reviews/parquet/default/train/0.parquet",
    "/datasets/org/reviews/resolve/refs/convert/parquet/default/train/0000.parquet",
    "/api/datasets/org/reviews/parquet/default/train/1.parquet",
    "/datasets/org/reviews/resolve/refs/convert/parquet/default/train/0001.parquet",
  ]);
  assert.ok(hub.requests.every((r) => r.headers.get("authorization") === "Bearer hf_secret"));
  assert.deepEqual(cdn.requests.map((r) => r.path), [
    "/cdn/org/reviews/default/train/0",
    "/cdn/org/reviews/default/train/1",
  ]);
  assert.ok(cdn.requests.every((r) => !r.headers.has("authorization")), "the CDN never sees the token");
});

Deno.test("a cached dataset makes no request, works offline; offline with an empty cache names the cache dir", async () => {
  await using cache = await tempDir();
  await using hub = new TestServer(hubHandler(DATASETS));
  const { options } = testOptions(hub.url, cache.path);
  const ref = { id: "org/reviews", config: "default", split: "test" };
  const first = await resolveHubDataset(ref, options);
  const requests = hub.requests.length;
  assert.deepEqual(await resolveHubDataset(ref, options), first);
  assert.deepEqual(await resolveHubDataset(ref, { ...options, offline: true }), first);
  assert.equal(hub.requests.length, requests, "no request once cached");

  await using empty = await tempDir();
  await assert.rejects(
    resolveHubDataset(ref, { ...options, cacheDir: empty.path, offline: true }),
    (e) => e instanceof HubOfflineError && e.message.includes(empty.path) && e.message.includes("HF_ENDPOINT"),
  );
  assert.equal(hub.requests.length, requests);
});

Deno.test("a gated dataset fails at once with HubAuthError naming HF_TOKEN and the dataset page", async () => {
  await using cache = await tempDir();
  await using hub = new TestServer(() => new Response("gated", { status: 401 }));
  const { options } = testOptions(hub.url, cache.path);
  await assert.rejects(resolveHubDataset({ id: "org/gated", split: "train" }, options), (e) => {
    assert.ok(e instanceof HubAuthError);
    assert.equal(e.status, 401);
    assert.equal(e.tokenSent, false);
    assert.match(e.message, /HF_TOKEN/);
    assert.match(e.message, /no token was sent/);
    assert.ok(e.message.includes(`${hub.url}/datasets/org/gated`));
    return true;
  });
  assert.equal(hub.requests.length, 1, "no retry");
});

Deno.test("an unknown dataset fails with HubNotFoundError", async () => {
  await using cache = await tempDir();
  await using hub = new TestServer(hubHandler(DATASETS));
  const { options } = testOptions(hub.url, cache.path);
  await assert.rejects(
    resolveHubDataset({ id: "org/missing", split: "train" }, options),
    (e) =>
      e instanceof HubNotFoundError && e.status === 404 &&
      e.message.includes(`${hub.url}/api/datasets/org/missing/parquet`),
  );
  assert.equal(hub.requests.length, 1);
});

Deno.test("a refused connection fails with HubOfflineError naming the endpoint and the cache dir", async () => {
  await using cache = await tempDir();
  const endpoint = `http://127.0.0.1:${closedPort()}`;
  const { options, log } = testOptions(endpoint, cache.path);
  await assert.rejects(
    resolveHubDataset({ id: "org/reviews", split: "train" }, options),
    (e) => e instanceof HubOfflineError && e.message.includes(endpoint) && e.message.includes(cache.path),
  );
  assert.equal(log.length, 2, "retried first");
});

Deno.test("unknown configs and splits, and unsafe names, fail with ConfigError listing the choices", async () => {
  await using cache = await tempDir();
  await using hub = new TestServer(hubHandler(DATASETS));
  const { options } = testOptions(hub.url, cache.path);
  await assert.rejects(resolveHubDataset({ id: "org/multi", split: "train" }, options), (e) => {
    return e instanceof ConfigError && /has 2 configs; choose one of: en, fr/.test(e.message);
  });
  await assert.rejects(resolveHubDataset({ id: "org/multi", config: "de", split: "train" }, options), (e) => {
    return e instanceof ConfigError && /no config "de"; its configs: en, fr/.test(e.message);
  });
  await assert.rejects(resolveHubDataset({ id: "org/multi", config: "fr", split: "test" }, options), (e) => {
    return e instanceof ConfigError && /no split "test"; its splits: train, validation/.test(e.message);
  });
  for (const id of ["../etc", "org/..", "a/b/c", "", "org/na me"]) {
    await assert.rejects(resolveHubDataset({ id, split: "train" }, options), /invalid dataset id/, id);
  }
  await assert.rejects(resolveHubDataset({ id: "org/multi", split: "../x" }, options), /invalid split/);
});

Deno.test("a pinned revision other than the served commit fails with ConfigError", async () => {
  await using cache = await tempDir();
  await using hub = new TestServer(hubHandler(DATASETS));
  const { options } = testOptions(hub.url, cache.path);
  const ref = { id: "org/reviews", split: "test" };
  assert.equal((await resolveHubDataset({ ...ref, revision: COMMIT.slice(0, 7) }, options)).revision, COMMIT);
  await assert.rejects(resolveHubDataset({ ...ref, revision: "ffff" }, options), /at commit 0123456.*, not ffff/);
});
