/** `deno task ingest` as a user runs it: real data in, shards out, resume, Ctrl-C, and one-line errors. */
import assert from "node:assert/strict";
import { loadShards, openShardSet } from "@saeflow/io";
import { python, sharedData, tempDir } from "../helpers.ts";

const INGEST = new URL("../../pipelines/ingest.ts", import.meta.url).pathname;

function ingest(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", INGEST, "--progress", "quiet", ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[]) {
  const { code, stdout, stderr } = await ingest(args).output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

Deno.test("ingest a real CSV into shards; the label balance matches Python; a rerun does nothing", async () => {
  await using dir = await tempDir();
  const csv = sharedData("jailbreak-classification/jailbreak_dataset_train_balanced.csv");
  const args = [
    "--dataset",
    csv,
    "--text-field",
    "prompt",
    "--label-field",
    "type",
    "--split",
    "train",
    "--out",
    dir.path,
    "--shard-size",
    "300",
  ];
  const first = await run(args);
  assert.equal(first.code, 0, first.err);
  const expected = await python<Record<string, number>>(
    `import csv,json,sys,collections; print(json.dumps(collections.Counter(r["type"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")))))`,
    csv,
  );
  const set = await openShardSet(dir.path);
  assert.deepEqual(set.manifest.classCounts, { train: expected });
  assert.equal(set.manifest.shards.length, Math.ceil(set.manifest.records / 300));
  assert.equal((set.manifest.extra.dataset as { labelNames?: string[] }).labelNames, undefined);
  const table = await loadShards(dir.path, { columns: ["id", "text"] });
  assert.equal(table.get("id", 0), "jailbreak_dataset_train_balanced:0");
  const again = await run(args);
  assert.equal(again.code, 0);
  assert.match(again.out, /already complete/);
});

Deno.test("Ctrl-C stops cleanly (exit 130, finished shards kept), and the same command resumes to the same result", async () => {
  await using clean = await tempDir();
  await using dir = await tempDir();
  const json = sharedData("refusal-direction-harmful-harmless/splits/harmless_train.json");
  const args = (out: string) => ["--dataset", json, "--text-field", "instruction", "--out", out, "--shard-size", "500"];
  assert.equal((await run(args(clean.path))).code, 0);

  const child = ingest(args(dir.path)).spawn();
  const names = async () => (await Array.fromAsync(Deno.readDir(dir.path))).map((e) => e.name);
  while (!(await names()).includes("part-00001.parquet")) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGINT");
  const { code, stderr } = await child.output();
  assert.equal(code, 130);
  assert.match(
    new TextDecoder().decode(stderr),
    /interrupted; finished shards are kept; run the same command again to resume/,
  );
  assert.ok(!(await names()).some((n) => n.endsWith(".tmp")), "the shard in flight was discarded");
  const partial = await openShardSet(dir.path, { allowIncomplete: true });
  assert.ok(!partial.manifest.complete && partial.manifest.records % 500 === 0);

  assert.equal((await run(args(dir.path))).code, 0);
  const [a, b] = [await loadShards(dir.path), await loadShards(clean.path)];
  assert.deepEqual(a.objects(), b.objects());
});

Deno.test("bad input and bad flags fail with one clear line, no stack trace", async () => {
  await using dir = await tempDir();
  const missing = await run(["--dataset", `${dir.path}/nope.csv`, "--text-field", "t", "--out", dir.path]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^error: .*nope\.csv: file not found; expected an existing file\n$/m);
  assert.doesNotMatch(missing.err, /\bat .*\.ts:\d+/);
  const unknown = await run(["--dataset", "no-such-name", "--out", dir.path]);
  assert.match(unknown.err, /error: cannot tell the format of no-such-name/);
  const noText = await run(["--dataset", sharedData("sst2/sst2_dev.tsv"), "--out", dir.path]);
  assert.match(
    noText.err,
    /not in .*datasets\.yaml: say which column holds the text with --text-field \(registry names: sentiment-fixtures/,
  );
  const registryFormat = await run(["--dataset", "sentiment-fixtures", "--format", "csv", "--out", dir.path]);
  assert.match(registryFormat.err, /error: --format applies to a file, not to the registry dataset sentiment-fixtures/);
  const registrySplit = await run([
    "--dataset",
    "jailbreak-classification",
    "--split",
    "validation",
    "--out",
    dir.path,
  ]);
  assert.match(registrySplit.err, /error: jailbreak-classification has no split validation; its splits: train, test/);
  const columns = await run(["--dataset", "a.tsv", "--columns", "x,y", "--text-field", "x", "--out", dir.path]);
  assert.match(columns.err, /error: --columns names the columns of a file without a header: add --no-header/);
  const badFormat = await run(["--dataset", "x", "--format", "xml"]);
  assert.equal(badFormat.code, 1);
  assert.match(badFormat.err, /--format xml: expected one of csv, tsv, jsonl, json, parquet, lines/);
});

Deno.test("a bad row deep in the file fails naming its line, keeps the finished shards, and the fixed file resumes", async () => {
  await using dir = await tempDir();
  await using clean = await tempDir();
  const source = await Deno.readTextFile(sharedData("xstest/xstest_prompts.csv"));
  const lines = source.split("\n");
  const broken = [...lines.slice(0, 401), 'x,"unterminated, quote', ...lines.slice(401)].join("\n"); // line 402
  const csv = `${dir.path}/xstest.csv`;
  await Deno.writeTextFile(csv, broken);
  const out = `${dir.path}/shards`;
  const args = (
    o: string,
  ) => ["--dataset", csv, "--text-field", "prompt", "--label-field", "label", "--out", o, "--shard-size", "100"];
  const failed = await run(args(out));
  assert.equal(failed.code, 1);
  assert.match(failed.err, /xstest\.csv:402: malformed CSV row \(CSV_QUOTE_NOT_CLOSED\)/);
  const partial = await openShardSet(out, { allowIncomplete: true });
  assert.equal(partial.manifest.records, 400, "the 400 records before the bad row fill four finished shards");
  assert.ok(!(await Array.fromAsync(Deno.readDir(out))).some((e) => e.name.endsWith(".tmp")));

  await Deno.writeTextFile(csv, source);
  assert.equal((await run(args(out))).code, 0);
  assert.equal((await run(args(clean.path))).code, 0);
  assert.deepEqual((await loadShards(out)).objects(), (await loadShards(clean.path)).objects());
});

/** Ways to spoil line 251 of a real CSV (line index 250), each with the error it must give. */
const SPOILERS: [string, (lines: string[], at: number) => Uint8Array, RegExp][] = [
  ["invalid UTF-8", (lines, at) => {
    const bytes = new TextEncoder().encode(lines.join("\n"));
    bytes[new TextEncoder().encode(lines.slice(0, at).join("\n")).length + 1] = 0xff; // first byte of the line
    return bytes;
  }, /x\.csv:251 \(record 250\): invalid UTF-8 byte 0xff/],
  [
    "a duplicate id",
    (lines, at) => edit(lines, at, () => lines[5]),
    /x\.csv:251 \(record 250, column "id"\): duplicate id "5"/,
  ],
  [
    "a label outside the map",
    (lines, at) => edit(lines, at, (l) => l.replace(/,(safe|unsafe),/, ",maybe,")),
    /x\.csv:251 .*label "maybe" is not in the label map/,
  ],
  [
    "a missing value",
    (lines, at) => edit(lines, at, (l) => l.replace(/^(\d+),[^,]*,/, "$1,,")),
    /x\.csv:251 \(record 250, column "prompt"\): empty value/,
  ],
];

function edit(lines: string[], at: number, change: (line: string) => string): Uint8Array {
  const changed = change(lines[at]);
  assert.notEqual(changed, lines[at], "the spoiler applies to this line");
  return new TextEncoder().encode([...lines.slice(0, at), changed, ...lines.slice(at + 1)].join("\n"));
}

/** Ingests a spoiled copy of the XSTest CSV in shards of 100; returns the run's outcome and the shard directory. */
async function ingestSpoiled(dir: string, bytes: Uint8Array, extraArgs: string[] = []) {
  const csv = `${dir}/x.csv`;
  await Deno.writeFile(csv, bytes);
  const out = `${dir}/shards`;
  const result = await run([
    ...["--dataset", csv, "--text-field", "prompt", "--label-field", "label", ...extraArgs],
    ...["--label-map", '{"safe": "safe", "unsafe": "unsafe"}', "--out", out, "--shard-size", "100"],
  ]);
  return { result, out };
}

const xstestLines = async () => (await Deno.readTextFile(sharedData("xstest/xstest_prompts.csv"))).split("\n");

for (const [kind, spoil, message] of SPOILERS) {
  Deno.test(`${kind} at line 251 fails naming it and keeps the two finished shards before it`, async () => {
    await using dir = await tempDir();
    const { result, out } = await ingestSpoiled(dir.path, spoil(await xstestLines(), 250), ["--id-field", "id"]);
    assert.equal(result.code, 1, result.err);
    assert.match(result.err, message);
    const partial = await openShardSet(out, { allowIncomplete: true });
    assert.equal(partial.manifest.records, 200);
    assert.ok(!(await Array.fromAsync(Deno.readDir(out))).some((e) => e.name.endsWith(".tmp")));
  });
}

Deno.test("a bad record right after a shard boundary still lets the shard before it commit", async () => {
  await using dir = await tempDir();
  const spoiled = edit(await xstestLines(), 201, (l) => l.replace(/,(safe|unsafe),/, ",maybe,")); // record 201
  const { result, out } = await ingestSpoiled(dir.path, spoiled);
  assert.match(result.err, /x\.csv:202 \(record 201, column "label"\): label "maybe" is not in the label map/);
  assert.equal((await openShardSet(out, { allowIncomplete: true })).manifest.records, 200);
});
