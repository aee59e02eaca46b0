import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { downloadToCache } from "../../../modules/io/hub/hub_download.ts";
import { HubDownloadError } from "../../../modules/io/hub/hub_errors.ts";
import { parquetFile, serveBytes, testOptions, TestServer, truncated } from "./fake_hub.ts";
import { tempDir } from "../../helpers.ts";

const FILE = parquetFile(200);
const HALF = Math.floor(FILE.length / 2);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a body truncated on the first attempt is resumed with Range; the file is byte-identical", async () => {
  await using cache = await tempDir();
  let calls = 0;
  await using server = new TestServer((request) => ++calls === 1 ? truncated(FILE, HALF) : serveBytes(request, FILE));
  const { options, log } = testOptions(server.url, cache.path);
  const path = await downloadToCache(`${server.url}/f`, "d/f.parquet", options);
  assert.equal(path, join(cache.path, "d/f.parquet"));
  assert.deepEqual(await Deno.readFile(path), FILE);
  assert.equal(server.requests[1].headers.get("range"), `bytes=${HALF}-`);
  assert.match(log[0], new RegExp(`body truncated at byte ${HALF} of ${FILE.length}`));
  assert.equal(await exists(`${path}.incomplete`), false);
});

Deno.test("a body that breaks without a Content-Length is resumed too", async () => {
  await using cache = await tempDir();
  const ranges: (string | null)[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    ranges.push(request.headers.get("range"));
    if (ranges.length > 1) return Promise.resolve(serveBytes(request, FILE));
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => pulls++ === 0 ? c.enqueue(FILE.slice(0, HALF)) : c.error(new TypeError("connection reset")),
    });
    return Promise.resolve(new Response(body));
  };
  const { options } = testOptions("http://hub.test", cache.path, { fetch: fakeFetch });
  const path = await downloadToCache("http://hub.test/f", "f.parquet", options);
  assert.deepEqual(ranges, [null, `bytes=${HALF}-`]);
  assert.deepEqual(await Deno.readFile(path), FILE);
});

Deno.test("a body truncated on every attempt fails with HubDownloadError, keeping only the .incomplete", async () => {
  await using cache = await tempDir();
  await using server = new TestServer(() => truncated(FILE, HALF)); // ignores Range: each attempt restarts
  const { options } = testOptions(server.url, cache.path);
  await assert.rejects(
    downloadToCache(`${server.url}/f`, "f.parquet", options),
    (e) => e instanceof HubDownloadError && /truncated .* after 2 retries/.test(e.message),
  );
  assert.equal(server.requests.length, 3);
  assert.equal(await exists(join(cache.path, "f.parquet")), false);
  assert.equal((await Deno.stat(join(cache.path, "f.parquet.incomplete"))).size, HALF);
});

Deno.test("an existing .incomplete is resumed from its size", async () => {
  await using cache = await tempDir();
  await Deno.writeFile(join(cache.path, "f.parquet.incomplete"), FILE.subarray(0, 100));
  await using server = new TestServer((request) => serveBytes(request, FILE));
  const { options } = testOptions(server.url, cache.path);
  const path = await downloadToCache(`${server.url}/f`, "f.parquet", options);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0].headers.get("range"), "bytes=100-");
  assert.deepEqual(await Deno.readFile(path), FILE);
});

Deno.test("a 200 answer to a Range request restarts the file from zero", async () => {
  await using cache = await tempDir();
  await Deno.writeFile(join(cache.path, "f.parquet.incomplete"), new Uint8Array(100).fill(7));
  await using server = new TestServer(() => new Response(FILE));
  const { options } = testOptions(server.url, cache.path);
  assert.deepEqual(await Deno.readFile(await downloadToCache(`${server.url}/f`, "f.parquet", options)), FILE);
});

Deno.test("sha256 and size are verified; a mismatch fails with HubDownloadError and leaves no file", async () => {
  await using cache = await tempDir();
  await using server = new TestServer((request) => serveBytes(request, FILE));
  const { options } = testOptions(server.url, cache.path);
  const sha256 = createHash("sha256").update(FILE).digest("hex");
  await assert.rejects(
    downloadToCache(`${server.url}/f`, "a.parquet", { ...options, sha256: "0".repeat(64) }),
    (e) => e instanceof HubDownloadError && e.message.includes(`sha256 is ${sha256}`),
  );
  await assert.rejects(
    downloadToCache(`${server.url}/f`, "b.parquet", { ...options, expectedSize: FILE.length + 1 }),
    (e) => e instanceof HubDownloadError && e.message.includes(`size is ${FILE.length} bytes`),
  );
  for (const name of ["a.parquet", "a.parquet.incomplete", "b.parquet", "b.parquet.incomplete"]) {
    assert.equal(await exists(join(cache.path, name)), false, name);
  }
  const path = await downloadToCache(`${server.url}/f`, "c.parquet", { ...options, sha256, expectedSize: FILE.length });
  assert.deepEqual(await Deno.readFile(path), FILE);
  const record = JSON.parse(await Deno.readTextFile(`${path}.json`));
  assert.deepEqual({ ...record, downloadedAt: typeof record.downloadedAt }, {
    url: `${server.url}/f`,
    size: FILE.length,
    etag: `"${FILE.length}"`,
    downloadedAt: "string",
  });
});

Deno.test("a cached file that no longer matches sha256 is downloaded again; cache paths stay inside the cache", async () => {
  await using cache = await tempDir();
  await Deno.writeFile(join(cache.path, "f.parquet"), new Uint8Array([1, 2, 3]));
  await using server = new TestServer((request) => serveBytes(request, FILE));
  const { options, log } = testOptions(server.url, cache.path);
  const sha256 = createHash("sha256").update(FILE).digest("hex");
  assert.deepEqual(
    await Deno.readFile(await downloadToCache(`${server.url}/f`, "f.parquet", { ...options, sha256 })),
    FILE,
  );
  assert.match(log[0], /cached .*f\.parquet: sha256 is .*; downloading it again/);
  await assert.rejects(downloadToCache(`${server.url}/f`, "../f.parquet", options), /must be relative and stay inside/);
  await assert.rejects(
    downloadToCache(`${server.url}/f`, "/tmp/f.parquet", options),
    /must be relative and stay inside/,
  );
});
