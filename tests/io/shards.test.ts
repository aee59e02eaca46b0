/**
 * Parquet shards: contents checked with an independent reader (hyparquet), deterministic bytes, atomic writes,
 * resume after an error and after SIGKILL, and refusal of mixed configurations.
 */
import assert from "node:assert/strict";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { ConfigError, DataError } from "@saeflow/core";
import {
  type FeatureRow,
  loadShards,
  openShardSet,
  readShards,
  ShardWriter,
  type ShardWriterOptions,
} from "@saeflow/io";
import { tempDir } from "../helpers.ts";
import { DENSE, syntheticRow, syntheticRows, WIDTH } from "./fixtures/synthetic_rows.ts";

const options = (dir: string, extra: Partial<ShardWriterOptions> = {}): ShardWriterOptions => ({
  dir,
  shardSize: 1000,
  rowGroupSize: 256,
  layout: { sparse: "values", sparseWidth: WIDTH, denseDim: DENSE, text: true },
  metadata: {
    configHash: "cfg-a",
    featureKind: "sae",
    model: "stories260K",
    hook: "blocks.2.hook_resid_post",
    pooling: "sum",
    threshold: 1,
  },
  ...extra,
});

async function writeAll(opts: ShardWriterOptions, n: number, failAt = -1): Promise<ShardWriter> {
  const writer = await ShardWriter.open(opts);
  await syntheticRows(n, { failAt }).pipeThrough(writer.skipCompleted((r) => r.id)).pipeTo(writer.writable);
  return writer;
}

async function listing(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** SHA-256 of every shard file, by name (compact to compare and to print on failure). */
async function fileBytes(dir: string): Promise<Record<string, string>> {
  const names = (await listing(dir)).filter((n) => n.endsWith(".parquet"));
  const digest = async (n: string) => {
    const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/${n}`));
    return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
  };
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await digest(n)])));
}

Deno.test("2,500 rows → 3 ZSTD shards whose contents an independent reader (hyparquet) sees exactly", async () => {
  await using dir = await tempDir();
  const writer = await writeAll(options(dir.path), 2500);
  assert.deepEqual(await listing(dir.path), [
    ".lock",
    "_manifest.json",
    "part-00000.parquet",
    "part-00001.parquet",
    "part-00002.parquet",
  ]);
  const manifest = writer.manifest(true);
  assert.deepEqual(manifest.shards.map((s) => s.records), [1000, 1000, 500]);
  assert.equal(manifest.classCounts.test.neg + manifest.classCounts.test.pos + manifest.classCounts.test.neu, 500);

  const buffer = (await Deno.readFile(`${dir.path}/part-00001.parquet`)).buffer;
  const meta = parquetMetadata(buffer);
  assert.equal(meta.row_groups.length, 4); // 1000 rows in groups of 256
  assert.ok(meta.row_groups.every((g) => g.columns.every((c) => c.meta_data?.codec === "ZSTD")));
  const kv = Object.fromEntries(meta.key_value_metadata!.map(({ key, value }) => [key, value]));
  const provenance = JSON.parse(kv.saeflow!);
  assert.equal(provenance.configHash, "cfg-a");
  assert.equal(provenance.version, "0.1.0");
  assert.deepEqual(provenance.metadata, options(dir.path).metadata);
  assert.deepEqual(provenance.layout, { sparse: "values", sparseWidth: WIDTH, denseDim: DENSE, text: true });
  const rows = await parquetReadObjects({ file: buffer, compressors }) as Record<string, unknown>[];
  for (const k of [0, 1, 517, 999]) {
    const want = syntheticRow(1000 + k);
    const got = rows[k];
    assert.equal(got.id, want.id);
    assert.equal(got.label, want.label);
    assert.deepEqual(Array.from(got.feat_idx as number[]), Array.from(want.featIdx!));
    assert.deepEqual(Array.from(got.feat_val as number[]), Array.from(want.featVal!));
    assert.deepEqual(Array.from(got.dense as number[]), Array.from(want.dense!));
  }
});

Deno.test("our reader streams row groups and only the asked columns into arquero, as typed arrays", async () => {
  await using dir = await tempDir();
  await writeAll(options(dir.path), 1200);
  const tables = await Array.fromAsync(readShards(dir.path, { columns: ["id", "feat_idx"] }));
  assert.deepEqual(tables.map((t) => t.numRows()), [256, 256, 256, 232, 200]);
  assert.deepEqual(tables[0].columnNames(), ["id", "feat_idx"]);
  const all = await loadShards(dir.path);
  assert.equal(all.numRows(), 1200);
  for (const i of [0, 700, 1199]) {
    const row = all.object(i) as Record<string, unknown>;
    const want = syntheticRow(i);
    assert.equal(row.id, want.id);
    assert.ok(row.feat_idx instanceof Int32Array);
    assert.deepEqual(row.feat_idx, want.featIdx);
    assert.deepEqual(row.feat_val, want.featVal);
    assert.deepEqual(row.dense, want.dense);
    assert.equal(row.text, want.text);
  }
  const counts = all.groupby("split").count().objects() as { split: string; count: number }[];
  assert.deepEqual(Object.fromEntries(counts.map((c) => [c.split, c.count])), { train: 960, test: 240 });
});

Deno.test("binarized layout stores indices only; same input → byte-identical shards", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const layout = { sparse: "indices" as const, sparseWidth: WIDTH };
  await writeAll(options(a.path, { layout }), 1500);
  await writeAll(options(b.path, { layout }), 1500);
  assert.deepEqual(await fileBytes(a.path), await fileBytes(b.path));
  assert.deepEqual((await loadShards(a.path)).columnNames(), ["id", "label", "split", "feat_idx"]);
});

Deno.test("an error upstream keeps finished shards, leaves no partial file, and a rerun resumes to the same bytes", async () => {
  await using clean = await tempDir();
  await using dir = await tempDir();
  await writeAll(options(clean.path), 2500);

  await assert.rejects(writeAll(options(dir.path), 2500, 2300), /source failed at record 2300/);
  assert.deepEqual(await listing(dir.path), [".lock", "_manifest.json", "part-00000.parquet", "part-00001.parquet"]);
  await assert.rejects(openShardSet(dir.path), /has not finished \(2000 records in 2 shards\); rerun it to resume/);

  const resumed = await ShardWriter.open(options(dir.path));
  assert.equal(resumed.completedRecords, 2000);
  let produced = 0;
  await syntheticRows(2500).pipeThrough(resumed.skipCompleted((r) => r.id))
    .pipeThrough(new TransformStream({ transform: (r, c) => void (produced++, c.enqueue(r)) }))
    .pipeTo(resumed.writable);
  assert.equal(produced, 500, "only the unfinished records went through again");
  assert.deepEqual(await fileBytes(dir.path), await fileBytes(clean.path));
  assert.deepEqual(resumed.manifest(true).classCounts, (await openShardSet(clean.path)).manifest.classCounts);
  assert.equal((await openShardSet(dir.path)).manifest.records, 2500);
});

Deno.test("SIGKILL mid-run: no half-written shard is visible, and the rerun completes byte-identically", async () => {
  await using clean = await tempDir();
  await using dir = await tempDir();
  const script = new URL("./fixtures/write_shards.ts", import.meta.url).pathname;
  const run = (target: string, delayMs: number) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, target, "350", String(delayMs)],
      stdout: "null",
      stderr: "piped",
    });
  assert.equal((await run(clean.path, 0).output()).code, 0);

  const child = run(dir.path, 3).spawn();
  while (!(await listing(dir.path)).includes("part-00001.parquet")) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100)); // let it get into the middle of shard 2
  child.kill("SIGKILL");
  await child.status;
  const visible = (await listing(dir.path)).filter((n) => !n.startsWith("."));
  assert.deepEqual(visible.filter((n) => n.endsWith(".parquet")), ["part-00000.parquet", "part-00001.parquet"]);
  for (const name of visible.filter((n) => n.endsWith(".parquet"))) {
    const meta = parquetMetadata((await Deno.readFile(`${dir.path}/${name}`)).buffer);
    assert.equal(Number(meta.num_rows), 100, `${name} is complete`);
  }
  assert.equal((await run(dir.path, 0).output()).code, 0);
  assert.deepEqual(await fileBytes(dir.path), await fileBytes(clean.path));
  assert.ok(!(await listing(dir.path)).some((n) => n.endsWith(".tmp")), "the stale temp file was removed");
});

Deno.test("a directory of another configuration is refused, and so is a mixed-in shard", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  await writeAll(options(a.path), 1500);
  await assert.rejects(
    ShardWriter.open(options(a.path, { metadata: { configHash: "cfg-b" } })),
    (e) =>
      e instanceof ConfigError && /holds shards of another configuration \(cfg-a\); this run is cfg-b/.test(e.message),
  );
  await writeAll(options(b.path, { metadata: { configHash: "cfg-b" } }), 1500);
  await Deno.copyFile(`${b.path}/part-00001.parquet`, `${a.path}/part-00001.parquet`);
  await assert.rejects(
    openShardSet(a.path),
    (e) =>
      e instanceof DataError &&
      /part-00001\.parquet: shard of configuration cfg-b mixed in; expected configuration cfg-a/.test(e.message),
  );
  await assert.rejects(
    ShardWriter.open(options(a.path)),
    /part-00001\.parquet was written by configuration cfg-b, not cfg-a/,
  );
});

Deno.test("rows that do not fit the layout are refused with the record id, leaving no temp file and no lock", async () => {
  await using dir = await tempDir();
  const bad = (row: Partial<FeatureRow>) => ({ ...syntheticRow(0), ...row }) as FeatureRow;
  const cases: [Partial<FeatureRow>, RegExp][] = [
    [
      { featIdx: Int32Array.from([5, 3]), featVal: Float32Array.from([1, 1]) },
      /id "r0".*featIdx is not strictly ascending at position 1/,
    ],
    [
      { featIdx: Int32Array.from([WIDTH]), featVal: Float32Array.from([1]) },
      /feature index out of range; expected indices in \[0, 16384\)/,
    ],
    [{ featVal: new Float32Array(0) }, /featVal does not match featIdx/],
    [{ dense: new Float32Array(3) }, /dense vector has length 3; expected a Float32Array of length 8/],
  ];
  for (const [row, pattern] of cases) {
    const writer = await ShardWriter.open(options(dir.path, { rowGroupSize: 2 }));
    const rows = [syntheticRow(0), syntheticRow(1), syntheticRow(2), bad(row)]; // a row group is already encoding
    await assert.rejects(ReadableStream.from(rows).pipeTo(writer.writable), pattern);
    assert.deepEqual(await listing(dir.path), [".lock"], "no shard, no temp file");
  }
});

Deno.test("one writer per directory: a second one fails at once until the first is done", async () => {
  await using dir = await tempDir();
  const first = await ShardWriter.open(options(dir.path));
  await assert.rejects(
    ShardWriter.open(options(dir.path)),
    (e) => e instanceof ConfigError && /is being written by another saeflow run/.test(e.message),
  );
  await syntheticRows(10).pipeTo(first.writable);
  const second = await ShardWriter.open(options(dir.path));
  assert.equal(second.completedRecords, 10);
  second.release();
});

Deno.test("resuming onto a changed input is refused instead of mixing two inputs", async () => {
  await using dir = await tempDir();
  await assert.rejects(writeAll(options(dir.path), 2500, 2300), /source failed/);
  const writer = await ShardWriter.open(options(dir.path));
  const shifted = syntheticRows(2500, { from: 1 }); // the same records, one missing at the front
  await assert.rejects(
    shifted.pipeThrough(writer.skipCompleted((r) => r.id)).pipeTo(writer.writable),
    (e) => e instanceof ConfigError && /record 2000 is "r2000" now but "r1999" in the shards/.test(e.message),
  );
  const again = await ShardWriter.open(options(dir.path));
  await assert.rejects(
    syntheticRows(1500).pipeThrough(again.skipCompleted((r) => r.id)).pipeTo(again.writable),
    /the input has 1500 records but .* already holds 2000: it changed/,
  );
});

Deno.test("a corrupt manifest is rebuilt by the writer and named by the reader; other .tmp files are left alone", async () => {
  await using dir = await tempDir();
  await writeAll(options(dir.path), 1200);
  await Deno.writeTextFile(`${dir.path}/_manifest.json`, '{"configHash": "cfg-a", "shar');
  await Deno.writeTextFile(`${dir.path}/notes.tmp`, "mine");
  await assert.rejects(
    openShardSet(dir.path),
    (e) =>
      e instanceof DataError &&
      /_manifest\.json: not valid JSON \(.*expected the JSON manifest saeflow writes/.test(e.message),
  );
  const writer = await writeAll(options(dir.path), 1200);
  assert.equal(writer.completedRecords, 1200);
  assert.equal((await openShardSet(dir.path)).manifest.records, 1200);
  assert.equal(await Deno.readTextFile(`${dir.path}/notes.tmp`), "mine");
});
