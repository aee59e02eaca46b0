/**
 * Bad input: each problem fails with a DataError naming the file, the line or row and what was expected, or with
 * `onBad: "skip"` is dropped and counted, while every good record still comes through.
 */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { type DatasetSpec, openTextDataset } from "@saeflow/io";
import { sharedData, tempDir } from "../helpers.ts";

async function read(spec: DatasetSpec) {
  const opened = await openTextDataset(spec);
  return { records: await Array.fromAsync(opened.records), bad: opened.bad };
}

async function rejectsWith(spec: DatasetSpec, pattern: RegExp): Promise<DataError> {
  let caught: unknown;
  await read(spec).catch((e) => (caught = e));
  assert.ok(caught instanceof DataError, `expected a DataError, got ${caught}`);
  assert.match(caught.message, pattern);
  return caught;
}

async function write(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = `${dir}/${name}`;
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

const CSV_FIELDS = { text: "text", label: "label" };

Deno.test("malformed CSV row: unclosed quote names the line; skip mode keeps the rows before it", async () => {
  await using dir = await tempDir();
  const path = await write(dir.path, "bad.csv", 'text,label\n"fine",a\n"also fine",b\nbroken "quote,a\n"last",b\n');
  const error = await rejectsWith(
    { sources: [{ path }], fields: CSV_FIELDS },
    /bad\.csv:4: malformed CSV row \(INVALID_OPENING_QUOTE\): Invalid Opening Quote/,
  );
  assert.equal(error.location.line, 4);
  const { records, bad } = await read({ sources: [{ path }], fields: CSV_FIELDS, onBad: "skip" });
  assert.deepEqual(records.map((r) => r.text), ["fine", "also fine", "last"]);
  assert.deepEqual(bad.toJSON().byKind, { "malformed row": 1 });
});

Deno.test("a quote never closed is reported at the line of the record that opened it", async () => {
  await using dir = await tempDir();
  const path = await write(dir.path, "open.csv", 'text,label\nok,a\n"never closed,b\nmore,c\n');
  await rejectsWith(
    { sources: [{ path }], fields: CSV_FIELDS },
    /open\.csv:3: malformed CSV row \(CSV_QUOTE_NOT_CLOSED\): Quote Not Closed/,
  );
});

Deno.test("a row with the wrong number of fields names its line", async () => {
  await using dir = await tempDir();
  const path = await write(dir.path, "fields.csv", "text,label\na,x\nb,y,extra\n");
  await rejectsWith(
    { sources: [{ path }], fields: CSV_FIELDS },
    /fields\.csv:3: malformed CSV row \(CSV_RECORD_INCONSISTENT_COLUMNS\): Invalid Record Length: columns length is 2, got 3.*expected every row to have the header's fields/,
  );
});

Deno.test("a missing text or label column is one structural error listing the columns (even with skip)", async () => {
  const path = sharedData("jailbreak-classification/jailbreak_dataset_test_balanced.csv");
  await rejectsWith(
    { sources: [{ path }], fields: { text: "text", label: "type" } },
    /no column "text"; expected one of the columns "prompt", "type"/,
  );
  await rejectsWith(
    { sources: [{ path }], fields: { text: "prompt", label: "label" }, onBad: "skip" },
    /no column "label"/,
  );
});

Deno.test("a missing value names line and column; skip counts it", async () => {
  await using dir = await tempDir();
  const path = await write(
    dir.path,
    "gaps.jsonl",
    '{"text":"a","label":"x"}\n{"text":"b"}\n{"text":"  ","label":"x"}\n{"text":"c","label":"y"}\n',
  );
  await rejectsWith(
    { sources: [{ path }], fields: CSV_FIELDS },
    /gaps\.jsonl:2 \(record 2, column "label"\): missing value; expected a non-empty value/,
  );
  const { records, bad } = await read({ sources: [{ path }], fields: CSV_FIELDS, onBad: "skip" });
  assert.deepEqual(records.map((r) => r.text), ["a", "c"]);
  assert.deepEqual(bad.toJSON().byKind, { "missing label": 1, "missing text": 1 });
});

Deno.test("non-UTF-8 bytes in a real file: error names line and byte offset; skip drops exactly that record", async () => {
  await using dir = await tempDir();
  const original = await Deno.readFile(sharedData("germeval2018/germeval2018.test.txt"));
  const lines = new TextDecoder().decode(original).split("\n");
  const offset = new TextEncoder().encode(lines.slice(0, 99).join("\n") + "\n").length + 3; // line 100, 4th byte
  const corrupt = original.slice();
  corrupt[offset] = 0xff;
  const path = await write(dir.path, "latin.tsv", corrupt);
  const spec: DatasetSpec = {
    sources: [{ path, format: "tsv" }],
    csv: { header: false, columnNames: ["text", "coarse", "fine"] },
    fields: { text: "text", label: "coarse" },
  };
  await rejectsWith(
    spec,
    new RegExp(
      `latin\\.tsv:100 \\(record 100\\): invalid UTF-8 byte 0xff at byte offset ${offset}; expected UTF-8 text`,
    ),
  );
  const { records, bad } = await read({ ...spec, onBad: "skip" });
  assert.equal(records.length, lines.filter(Boolean).length - 1);
  assert.ok(!records.some((r) => r.text.includes("\uFFFD")));
  assert.deepEqual(bad.toJSON().byKind, { "invalid UTF-8": 1 });
  assert.match(bad.examples[0], /latin\.tsv:100/);
});

Deno.test("a truncated UTF-8 sequence at the end of the file is invalid too", async () => {
  await using dir = await tempDir();
  const bytes = new TextEncoder().encode("text,label\ncaf\u00e9,x\nend,");
  const path = await write(dir.path, "cut.csv", new Uint8Array([...bytes, 0xc3]));
  await rejectsWith({ sources: [{ path }], fields: CSV_FIELDS }, /cut\.csv:3 \(record 2\): invalid UTF-8 byte 0xc3/);
});

Deno.test("empty files, header-only files and empty arrays fail with 'no records'", async () => {
  await using dir = await tempDir();
  for (
    const [name, content] of [["empty.csv", ""], ["header.csv", "text,label\n"], ["empty.jsonl", "\n\n"], [
      "empty.json",
      "[ ]",
    ]]
  ) {
    const path = await write(dir.path, name, content);
    await rejectsWith(
      { sources: [{ path }], fields: CSV_FIELDS },
      new RegExp(`${name.replace(".", "\\.")}: no records; expected at least one record`),
    );
  }
  const empty = await write(dir.path, "zero.json", "");
  await rejectsWith({ sources: [{ path: empty }], fields: CSV_FIELDS }, /zero\.json:1: the file is empty/);
});

Deno.test("duplicate ids fail naming the id; skip keeps the first occurrence", async () => {
  await using dir = await tempDir();
  const path = await write(dir.path, "dup.csv", "id,text,label\n1,a,x\n2,b,y\n1,c,x\n");
  await rejectsWith(
    { sources: [{ path }], fields: { ...CSV_FIELDS, id: "id" } },
    /dup\.csv:4 \(record 3, column "id"\): duplicate id "1"/,
  );
  const { records, bad } = await read({ sources: [{ path }], fields: { ...CSV_FIELDS, id: "id" }, onBad: "skip" });
  assert.deepEqual(records.map((r) => r.text), ["a", "b"]);
  assert.equal(bad.toJSON().byKind["duplicate id"], 1);
});

Deno.test("duplicate ids across the files of one dataset are caught too", async () => {
  await using dir = await tempDir();
  const a = await write(dir.path, "a.csv", "id,text\nk1,a\n");
  const b = await write(dir.path, "b.csv", "id,text\nk1,b\n");
  await rejectsWith(
    { sources: [{ path: a }, { path: b }], fields: { text: "text", id: "id" } },
    /b\.csv:2 \(record 1, column "id"\): duplicate id "k1"/,
  );
});

Deno.test("a label outside the label map names the value and the accepted ones", async () => {
  const path = sharedData("sst2/sst2_dev.tsv");
  await rejectsWith(
    { sources: [{ path }], fields: CSV_FIELDS, labels: { "0": "negative" } },
    /sst2_dev\.tsv:2 \(record 1, column "label"\): label "1" is not in the label map; expected one of: 0/,
  );
  const { records, bad } = await read({
    sources: [{ path }],
    fields: CSV_FIELDS,
    labels: { "0": "negative" },
    onBad: "skip",
  });
  assert.deepEqual([records.length, bad.total], [428, 444]);
});

Deno.test("invalid JSON lines and non-object elements name their line", async () => {
  await using dir = await tempDir();
  const jsonl = await write(dir.path, "x.jsonl", '{"text":"a"}\n{"text": oops}\n[1]\n{"text":"b"}\n');
  await rejectsWith(
    { sources: [{ path: jsonl }], fields: { text: "text" } },
    /x\.jsonl:2: line is not valid JSON/,
  );
  const { records, bad } = await read({ sources: [{ path: jsonl }], fields: { text: "text" }, onBad: "skip" });
  assert.deepEqual(records.map((r) => r.text), ["a", "b"]);
  assert.deepEqual(bad.toJSON().byKind, { "invalid JSON": 1, "not an object": 1 });

  const array = await write(dir.path, "x.json", '[\n  {"text": "a"},\n  {"text": "b",,}\n]');
  await rejectsWith(
    { sources: [{ path: array }], fields: { text: "text" } },
    /x\.json:3: array element 1 is not valid JSON/,
  );
  const truncated = await write(dir.path, "cut.json", '[{"text": "a"}, {"text": "b"');
  await rejectsWith(
    { sources: [{ path: truncated }], fields: { text: "text" } },
    /cut\.json:1: the array is not closed \(file truncated\?\)/,
  );
  const object = await write(dir.path, "obj.json", '{"text": "a"}');
  await rejectsWith(
    { sources: [{ path: object }], fields: { text: "text" } },
    /obj\.json:1: the top-level JSON value is an object; expected a JSON array of objects/,
  );
});

Deno.test("parallel line files of different lengths name both files", async () => {
  await using dir = await tempDir();
  const text = await write(dir.path, "text.txt", "a\nb\nc\n");
  const labels = await write(dir.path, "labels.txt", "0\n1\n");
  await rejectsWith(
    { sources: [{ path: text, labelsPath: labels }], fields: CSV_FIELDS },
    /labels\.txt:3: ends before line 3 while .*text\.txt goes on; expected the text and labels files to have the same number of lines/,
  );
});

Deno.test("a truncated gzip file and a missing file are named", async () => {
  await using dir = await tempDir();
  const gz = new Uint8Array(
    await new Response(
      ReadableStream.from([new TextEncoder().encode("text,label\n" + "hello,x\n".repeat(5000))]).pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  const path = await write(dir.path, "cut.csv.gz", gz.slice(0, gz.length / 2));
  await rejectsWith({ sources: [{ path }], fields: CSV_FIELDS }, /cut\.csv\.gz: gzip data is corrupt or truncated/);
  await rejectsWith({ sources: [{ path: `${dir.path}/nope.csv` }], fields: CSV_FIELDS }, /nope\.csv: file not found/);
});

Deno.test("CSV record lines stay exact across blank lines, CRLF inside quotes and skipped rows", async () => {
  await using dir = await tempDir();
  const path = await write(
    dir.path,
    "lines.csv",
    '\r\ntext,label\r\n1,x\r\n\r\n\r\n"multi\r\nline",y\r\n2,y,extra\r\n\r\n3,z\r\n"open,z\r\n',
  );
  const { readCsv } = await import("@saeflow/io");
  const rows = await Array.fromAsync((await readCsv(path)).rows);
  const where = (
    r: { fields: Record<string, unknown>; line?: number; endLine?: number; problem?: unknown },
  ) => [r.problem ? "problem" : r.fields.text, r.line, r.endLine];
  assert.deepEqual(rows.map(where), [["1", 3, 3], ["multi\r\nline", 6, 7], ["problem", 8, 8], ["3", 10, 10], [
    "problem",
    11,
    11,
  ]]);
  const { bad } = await read({ sources: [{ path }], fields: CSV_FIELDS, onBad: "skip" });
  assert.equal(bad.total, 2);
  assert.match(
    bad.examples[0],
    /lines\.csv:8: malformed CSV row \(CSV_RECORD_INCONSISTENT_COLUMNS\): Invalid Record Length: columns length is 2, got 3;/,
  );
  assert.match(bad.examples[1], /lines\.csv:11: malformed CSV row \(CSV_QUOTE_NOT_CLOSED\)/);
});

Deno.test("skip mode blames only the bad row for its invalid bytes, never the good record after it", async () => {
  await using dir = await tempDir();
  const bytes = new TextEncoder().encode("text,label\ngood1,a\nbadX,a,extra\ngood2,b\ngood3,c\n");
  bytes[bytes.indexOf(0x58)] = 0xff; // the X
  const path = await write(dir.path, "mixed.csv", bytes);
  const { records, bad } = await read({ sources: [{ path }], fields: CSV_FIELDS, onBad: "skip" });
  assert.deepEqual(records.map((r) => r.text), ["good1", "good2", "good3"]);
  assert.deepEqual(
    bad.toJSON().byKind,
    { "invalid UTF-8": 1 },
    "one bad row, counted once (its bytes explain it first)",
  );
});

Deno.test("failing readers close their files (no descriptor leaks on the error paths)", async () => {
  await using dir = await tempDir();
  const text = await write(dir.path, "t.txt", "some text\n".repeat(100_000)); // not at EOF when the error comes
  const labels = await write(dir.path, "l.txt", "0\n");
  const parquet = await write(dir.path, "p.parquet", "PAR1 not really");
  // Only descriptors on this test's own files count: test files run in parallel in this process and open their own.
  const ours = await Deno.realPath(dir.path);
  const openFiles = async () => {
    await new Promise((r) => setTimeout(r, 50)); // let closes already under way finish
    let count = 0;
    for await (const fd of Deno.readDir("/proc/self/fd")) {
      const target = await Deno.readLink(`/proc/self/fd/${fd.name}`).catch(() => "");
      if (target.startsWith(ours)) count++;
    }
    return count;
  };
  const before = await openFiles();
  for (let i = 0; i < 20; i++) {
    await assert.rejects(
      read({ sources: [{ path: text, labelsPath: labels }], fields: CSV_FIELDS }),
      /ends before line 2/,
    );
    await assert.rejects(read({ sources: [{ path: parquet }], fields: CSV_FIELDS }), /not a readable Parquet file/);
  }
  // A leak costs a descriptor per failed read (+20 here).
  assert.equal(before, 0);
  assert.equal(await openFiles(), 0, "descriptors left open on the test's files");
});

Deno.test("a mapped split column needs a value in every record", async () => {
  await using dir = await tempDir();
  const path = await write(dir.path, "s.jsonl", '{"text":"a","split":"train"}\n{"text":"b"}\n');
  await rejectsWith(
    { sources: [{ path }], fields: { text: "text", split: "split" } },
    /s\.jsonl:2 \(record 2, column "split"\): missing value/,
  );
});

Deno.test("multi-member gzip (cat a.gz b.gz, pigz, bgzip) reads as one file", async () => {
  await using dir = await tempDir();
  const gzip = async (text: string) =>
    new Uint8Array(
      await new Response(
        ReadableStream.from([new TextEncoder().encode(text)]).pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
  const [first, second] = [await gzip("text,label\na,x\n"), await gzip("b,y\nc,x\n")];
  const path = await write(dir.path, "multi.csv.gz", new Uint8Array([...first, ...second]));
  const { records } = await read({ sources: [{ path }], fields: CSV_FIELDS });
  assert.deepEqual(records.map((r) => [r.text, r.label]), [["a", "x"], ["b", "y"], ["c", "x"]]);
});

Deno.test("image index rows naming a missing file or a non-image fail or are skipped and counted", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/img`);
  await Deno.copyFile(sharedData("cifar10-test-subset/images/cat/0000.jpg"), `${dir.path}/img/a.jpg`);
  const index = await write(dir.path, "labels.csv", "file,label\nimg/a.jpg,cat\nimg/gone.jpg,cat\nnotes.txt,cat\n");
  const { openImageDataset } = await import("@saeflow/io");
  const spec: DatasetSpec = { sources: [{ path: index }], fields: { image: "file", label: "label" } };
  await assert.rejects(
    (async () => await Array.fromAsync((await openImageDataset(spec)).records))(),
    /labels\.csv:3 \(record 2, column "file"\): image .*img\/gone\.jpg does not exist/,
  );
  const opened = await openImageDataset({ ...spec, onBad: "skip" });
  assert.deepEqual((await Array.fromAsync(opened.records)).map((r) => r.meta!.path), ["img/a.jpg"]);
  assert.deepEqual(opened.bad.toJSON().byKind, { "missing image": 1, "not an image": 1 });
});
