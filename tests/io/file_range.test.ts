import assert from "node:assert/strict";
import { parquetWriteFile } from "hyparquet-writer";
import { openFileRange } from "@saeflow/io";
import { tempDir } from "../helpers.ts";

Deno.test("FileRange slices with Blob semantics and reads exactly the bytes of the range", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/bytes.bin`;
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 251);
  await Deno.writeFile(path, bytes);
  const file = await openFileRange(path);
  const blob = new Blob([bytes]);
  for (
    const [start, end] of [[0, 1000], [10, 20], [-8, undefined], [-20, -10], [990, 5000], [500, 100], [
      undefined,
      undefined,
    ]]
  ) {
    const ours = file.slice(start, end);
    const theirs = blob.slice(start, end);
    assert.equal(ours.size, theirs.size, `size of slice(${start}, ${end})`);
    assert.deepEqual(new Uint8Array(await ours.arrayBuffer()), new Uint8Array(await theirs.arrayBuffer()));
  }
  assert.deepEqual(new Uint8Array(await file.slice(100, 200).slice(-10).arrayBuffer()), bytes.slice(190, 200));
});

Deno.test("reading one small column of a 96 MB Parquet file does not load the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/wide.parquet`;
  const rows = 3000;
  const blob = () => crypto.getRandomValues(new Uint8Array(32 * 1024)); // incompressible, 32 KiB per row
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: "text", data: Array.from({ length: rows }, (_, i) => `row ${i}`), type: "STRING" },
      { name: "payload", data: Array.from({ length: rows }, blob), type: "BYTE_ARRAY" },
    ],
    codec: "UNCOMPRESSED",
    rowGroupSize: 500,
  });
  const fileMb = (await Deno.stat(path)).size / 2 ** 20;
  assert.ok(fileMb > 90, `file is ${fileMb} MB`);
  // Measured in a child process: RSS belongs to the whole process, and --parallel runs other test files in this one.
  const reader = `
    import { readParquet } from "@saeflow/io";
    const before = Deno.memoryUsage().rss;
    const { rows } = await readParquet(Deno.args[0], { columns: ["text"] });
    let count = 0;
    for await (const _ of rows) count++;
    console.log(JSON.stringify({ count, grewMb: (Deno.memoryUsage().rss - before) / 2 ** 20 }));
  `;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `--config=${config}`, reader, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
  const { count, grewMb } = JSON.parse(new TextDecoder().decode(child.stdout));
  assert.equal(count, rows);
  assert.ok(
    grewMb < fileMb / 3,
    `RSS grew ${grewMb.toFixed(1)} MB reading one column of a ${fileMb.toFixed(0)} MB file`,
  );
});
