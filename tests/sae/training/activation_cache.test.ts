/**
 * The activation cache: rows come back bit-exact in order, across files (one file checked by a Python reader of
 * the safetensors format); a cache of another key is never overwritten nor read; an unfinished one is rewritten
 * from scratch; a row file of the wrong shape is named.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { writeSafetensors } from "@saeflow/io";
import type { RowBlock } from "@saeflow/sae";
import { ActivationCacheWriter, type ActivationCacheWriterOptions, readActivationCache } from "@saeflow/sae";
import { python, tempDir } from "../../helpers.ts";
import { rowBlocks } from "./row_blocks.ts";
import { mulberry32 } from "../../random.ts";

const D = 5;
const HOOK = "blocks.2.hook_resid_post";

/** Random rows with the values a careless copy would change: -0, NaN-free extremes, subnormals. */
function randomRows(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const rows = Float32Array.from({ length: n * D }, () => (random() - 0.5) * 10 ** Math.floor(random() * 20 - 10));
  rows.set([-0, 3.4e38, -1.4e-45, 1e-40], 0);
  return rows;
}

const blocksOf = (rows: Float32Array, sizes: number[]): RowBlock[] => rowBlocks(rows, sizes, D);

async function writeCache(dir: string, rows: Float32Array, options: Partial<ActivationCacheWriterOptions> = {}) {
  const writer = await ActivationCacheWriter.open(dir, { dIn: D, hook: HOOK, key: "k1", rowsPerFile: 300, ...options });
  await ReadableStream.from(blocksOf(rows, [7, 250, 1, 64])).pipeTo(writer.writable);
}

async function readAll(dir: string, key = "k1"): Promise<{ blocks: RowBlock[]; rows: Float32Array }> {
  const cache = await readActivationCache(dir, { key, dIn: D });
  assert.ok(cache, "a complete cache");
  const blocks = await Array.fromAsync(cache.stream());
  const rows = new Float32Array(blocks.reduce((n, b) => n + b.rows.length, 0));
  let at = 0;
  for (const block of blocks) {
    assert.equal(block.dIn, D);
    rows.set(block.rows, at);
    at += block.rows.length;
  }
  assert.equal(at / D, cache.rows);
  return { blocks, rows };
}

const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
}

Deno.test("round trip: the rows come back bit-exact, in order, one block per file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/cache`;
  const rows = randomRows(1000, 1);
  assert.equal(await readActivationCache(path, { key: "k1", dIn: D }), null, "no directory: no cache");
  await writeCache(path, rows, { modelId: "stories260K" });
  const { blocks, rows: back } = await readAll(path);
  assert.deepEqual(bytes(back), bytes(rows));
  assert.deepEqual(blocks.map((b) => b.count), [300, 300, 300, 100]);
  const files = [
    "rows-00000.safetensors",
    "rows-00001.safetensors",
    "rows-00002.safetensors",
    "rows-00003.safetensors",
  ];
  assert.deepEqual(await listDir(path), ["_cache.json", ...files]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${path}/_cache.json`)), {
    key: "k1",
    dIn: D,
    hook: HOOK,
    modelId: "stories260K",
    files,
    rows: 1000,
    complete: true,
  });
  // An independent reader of the format: the last file holds rows 900..999 as little-endian F32 [100, 5].
  const [header, hex] = await python<[Record<string, { dtype: string; shape: number[] }>, string]>(
    `import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
begin, end = header["activations"]["data_offsets"]
print(json.dumps([header, data[8 + n + begin:8 + n + end].hex()]))`,
    `${path}/${files[3]}`,
  );
  assert.equal(header.activations.dtype, "F32");
  assert.deepEqual(header.activations.shape, [100, D]);
  assert.equal(hex, Array.from(bytes(rows.subarray(900 * D)), (b) => b.toString(16).padStart(2, "0")).join(""));
});

Deno.test("an empty stream makes a complete, empty cache", async () => {
  await using dir = await tempDir();
  await writeCache(dir.path, new Float32Array(0));
  const cache = await readActivationCache(dir.path, { key: "k1", dIn: D });
  assert.equal(cache?.rows, 0);
  assert.deepEqual(await Array.fromAsync(cache!.stream()), []);
});

Deno.test("a complete cache of another key is never overwritten nor read; another dIn is named", async () => {
  await using dir = await tempDir();
  await writeCache(dir.path, randomRows(10, 2));
  const before = await Deno.readFile(`${dir.path}/rows-00000.safetensors`);
  const named = (e: unknown) =>
    e instanceof ConfigError && e.message.includes(dir.path) && /key k1, not k2/.test(e.message);
  await assert.rejects(ActivationCacheWriter.open(dir.path, { dIn: D, hook: HOOK, key: "k2" }), named);
  await assert.rejects(readActivationCache(dir.path, { key: "k2", dIn: D }), named);
  await assert.rejects(
    readActivationCache(dir.path, { key: "k1", dIn: D + 1 }),
    (e) => e instanceof ConfigError && /has dIn 5, not 6/.test(e.message),
  );
  assert.deepEqual(await Deno.readFile(`${dir.path}/rows-00000.safetensors`), before, "untouched");
  // The same key may be written again (the same rows, or a fresh run of them).
  const rows = randomRows(20, 3);
  await writeCache(dir.path, rows);
  assert.deepEqual(bytes((await readAll(dir.path)).rows), bytes(rows));
});

Deno.test("an unfinished cache is not read, and is rewritten from scratch", async () => {
  await using dir = await tempDir();
  // A run killed mid-way: row files and an atomic write's temp file, no _cache.json.
  const writer = await ActivationCacheWriter.open(dir.path, { dIn: D, hook: HOOK, key: "old", rowsPerFile: 10 });
  const w = writer.writable.getWriter();
  for (const block of blocksOf(randomRows(95, 4), [10])) await w.write(block);
  await w.abort(new Error("killed"));
  await Deno.writeFile(`${dir.path}/.rows-00009.safetensors.1a2b3c4d.tmp`, new Uint8Array(3));
  await Deno.writeFile(`${dir.path}/notes.txt`, new Uint8Array(1));
  assert.equal((await listDir(dir.path)).filter((n) => n.startsWith("rows-")).length, 9);
  assert.equal(await readActivationCache(dir.path, { key: "old", dIn: D }), null);

  const rows = randomRows(30, 5);
  await writeCache(dir.path, rows, { key: "new", rowsPerFile: 16 });
  assert.deepEqual(await listDir(dir.path), [
    "_cache.json",
    "notes.txt", // not ours: left alone
    "rows-00000.safetensors",
    "rows-00001.safetensors",
  ]);
  assert.deepEqual(bytes((await readAll(dir.path, "new")).rows), bytes(rows));
});

Deno.test("a row file of the wrong shape is a DataError naming it, after the good files' rows", async () => {
  await using dir = await tempDir();
  await writeCache(dir.path, randomRows(700, 6));
  const bad = `${dir.path}/rows-00001.safetensors`;
  await writeSafetensors(bad, { activations: { shape: [50, D + 1], data: new Float32Array(50 * (D + 1)) } });
  const cache = await readActivationCache(dir.path, { key: "k1", dIn: D });
  const reader = cache!.stream().getReader();
  assert.equal((await reader.read()).value?.count, 300);
  await assert.rejects(
    reader.read(),
    (e) => e instanceof DataError && e.message.startsWith(bad) && /shape \[50,6\].*\[rows, 5\]/.test(e.message),
  );
});

Deno.test("a block of another width is a DataError; bad options are ConfigErrors", async () => {
  await using dir = await tempDir();
  const writer = await ActivationCacheWriter.open(dir.path, { dIn: D, hook: HOOK, key: "k1" });
  await assert.rejects(
    ReadableStream.from([{ rows: new Float32Array(8), count: 2, dIn: 4 }]).pipeTo(writer.writable),
    (e) => e instanceof DataError && e.message.startsWith(dir.path) && /width 4/.test(e.message),
  );
  assert.equal(await readActivationCache(dir.path, { key: "k1", dIn: D }), null, "a failed write leaves no cache");
  for (const options of [{ dIn: 0 }, { rowsPerFile: 1.5 }, { key: "" }]) {
    await assert.rejects(
      ActivationCacheWriter.open(dir.path, { dIn: D, hook: HOOK, key: "k1", ...options }),
      ConfigError,
    );
  }
});
