/**
 * loadSplitMatrices on the shard sets of a real extract run (sst2 → stories260K → a random SAE): every kind of output
 * (dense hidden states, TF-IDF values, SAE values, binarized SAE index sets) against the same shards read
 * independently with loadShards — row order, ids, labels → class ids, CSR indices and values, dense rows, splits
 * that partition the rows — plus the class list (label names, sorted labels, or given) and the errors.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { loadShards } from "@saeflow/io";
import { type LabeledMatrix, loadSplitMatrices } from "@saeflow/probe";
import { extract, extractTask } from "../../pipelines/extract.ts";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { sharedData, sharedModel, tempDir } from "../helpers.ts";

const MODEL = sharedModel("stories260K/stories260K.bin");
const SST2 = sharedData("sst2/sst2_dev.tsv");
const SAE = "sae/l1.random-256-k32-s0/sum.no-bos";

const args = (out: string, ...extra: string[]) => [
  ...["--model", MODEL, "--layers", "1", "--sae", "random:256", "--pool", "sum", "--binarize", "gt:1"],
  ...["--dataset", SST2, "--text-field", "text", "--label-field", "label", "--limit", "80"],
  ...["--shard-size", "30", "--progress", "quiet", "--out", out, ...extra],
];

async function runExtract(argv: string[]) {
  const { options, configHash } = await parseTask(extractTask, argv);
  return await extract(options, { configHash, signal: new AbortController().signal });
}

/** A shard set's rows as loadShards reads them, with no help from the probe module. */
interface ShardRow {
  id: string;
  label: string;
  split: string;
  feat_idx?: Int32Array;
  feat_val?: Float32Array;
  dense?: Float32Array;
}

async function shardRows(dir: string): Promise<ShardRow[]> {
  return (await loadShards(dir)).objects() as unknown as ShardRow[];
}

/** The rows of one split of a LabeledMatrix, one by one: id, class name, and (feature, value) pairs. */
function matrixRows(m: LabeledMatrix) {
  return m.ids.map((id, i) => {
    const X = m.X;
    if (X.kind === "dense") {
      return { id, label: m.classes[m.y[i]], dense: Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)) };
    }
    const lo = X.rowPtr[i], hi = X.rowPtr[i + 1];
    return {
      id,
      label: m.classes[m.y[i]],
      indices: Array.from(X.indices.subarray(lo, hi)),
      values: X.values ? Array.from(X.values.subarray(lo, hi)) : undefined,
    };
  });
}

/** What one shard row should become in the matrix. */
function expectedRow(row: ShardRow) {
  if (row.dense) return { id: row.id, label: row.label, dense: Array.from(row.dense) };
  return {
    id: row.id,
    label: row.label,
    indices: Array.from(row.feat_idx!),
    values: row.feat_val ? Array.from(row.feat_val) : undefined,
  };
}

Deno.test("loadSplitMatrices: every output kind of an extract run equals its shards read with loadShards", async (t) => {
  await using out = await tempDir();
  const { summary } = await runExtract(args(out.path));
  const tfidfVocabulary = (JSON.parse(await Deno.readTextFile(`${out.path}/tfidf_model.json`)) as {
    vocabulary: string[];
  }).vocabulary.length;
  // Independent widths: the model's d_model (stories260K: 64), the SAE flag (256), the TF-IDF model's vocabulary.
  const expected: Record<string, { kind: "dense" | "sparse"; cols: number; values: boolean; featureKind: string }> = {
    "hidden/l1/last": { kind: "dense", cols: 64, values: true, featureKind: "hidden-last" },
    "hidden/l1/mean": { kind: "dense", cols: 64, values: true, featureKind: "hidden-mean" },
    "tfidf": { kind: "sparse", cols: tfidfVocabulary, values: true, featureKind: "tfidf" },
    [`${SAE}/values`]: { kind: "sparse", cols: 256, values: true, featureKind: "sae" },
    [`${SAE}/gt-1`]: { kind: "sparse", cols: 256, values: false, featureKind: "sae-binary" },
  };
  assert.deepEqual(
    summary.outputs.map((o) => o.path).filter((p) => p !== "text").sort(),
    Object.keys(expected).sort(),
    "the extract wrote the feature sets this test expects",
  );

  for (const [path, want] of Object.entries(expected)) {
    await t.step(path, async () => {
      const dir = `${out.path}/${path}`;
      const rows = await shardRows(dir);
      assert.equal(rows.length, 80);
      const loaded = await loadSplitMatrices(dir);
      assert.equal(loaded.dir, dir);
      assert.equal(loaded.metadata.featureKind, want.featureKind);
      // sst2 has no label names: the labels seen, sorted.
      assert.deepEqual(loaded.classes, ["0", "1"]);
      assert.deepEqual([...new Set(rows.map((r) => r.label))].sort(), ["0", "1"]);

      // The splits partition the rows: every id exactly once, in the split its row says.
      assert.deepEqual([...loaded.splits.keys()].sort(), [...new Set(rows.map((r) => r.split))].sort());
      assert.deepEqual([...loaded.splits.keys()].sort(), ["test", "train"]);
      const seen = [...loaded.splits.values()].flatMap((m) => [...m.ids]);
      assert.equal(seen.length, rows.length);
      assert.deepEqual([...seen].sort(), rows.map((r) => r.id).sort());
      assert.equal(loaded.splits.get("train")!.X.rows, 64);
      assert.equal(loaded.splits.get("test")!.X.rows, 16);

      for (const [split, m] of loaded.splits) {
        const mine = rows.filter((r) => r.split === split);
        assert.equal(m.X.kind, want.kind, `${split}: matrix kind`);
        assert.equal(m.X.cols, want.cols, `${split}: width`);
        assert.equal(m.X.rows, mine.length);
        assert.equal(m.y.length, mine.length);
        assert.equal(m.classes, loaded.classes, "one class list for every split");
        // Labels → class ids: "0" → 0, "1" → 1.
        assert.deepEqual(Array.from(m.y), mine.map((r) => Number(r.label)), `${split}: class ids`);
        // Row order, ids and contents, row by row.
        assert.deepEqual(matrixRows(m), mine.map(expectedRow), `${split}: rows in shard order`);
        if (m.X.kind === "dense") {
          assert.equal(m.X.data.length, mine.length * 64);
          assert.deepEqual(Array.from(m.X.data), mine.flatMap((r) => Array.from(r.dense!)));
        } else {
          assert.equal(m.X.rowPtr.length, mine.length + 1);
          assert.equal(m.X.rowPtr[0], 0);
          assert.deepEqual(Array.from(m.X.indices), mine.flatMap((r) => Array.from(r.feat_idx!)));
          if (want.values) {
            assert.deepEqual(Array.from(m.X.values!), mine.flatMap((r) => Array.from(r.feat_val!)));
          } else {
            assert.equal(m.X.values, undefined, "binarized index sets carry no values");
            assert.equal(rows[0].feat_val, undefined);
          }
        }
      }
    });
  }

  await t.step("the classes option fixes the order of class ids", async () => {
    const dir = `${out.path}/${SAE}/gt-1`;
    const rows = await shardRows(dir);
    const loaded = await loadSplitMatrices(dir, { classes: ["1", "0"] });
    assert.deepEqual(loaded.classes, ["1", "0"]);
    for (const [split, m] of loaded.splits) {
      const mine = rows.filter((r) => r.split === split);
      assert.deepEqual(Array.from(m.y), mine.map((r) => (r.label === "1" ? 0 : 1)));
      assert.deepEqual(m.classes, ["1", "0"]);
    }
    // A class list with a class that has no row is fine: its id is just never used.
    const wider = await loadSplitMatrices(dir, { classes: ["0", "1", "2"] });
    assert.deepEqual(wider.classes, ["0", "1", "2"]);
    assert.ok([...wider.splits.values()].every((m) => m.y.every((c) => c < 2)));
  });

  await t.step("a label outside `classes` is a DataError naming the record and the directory", async () => {
    const dir = `${out.path}/tfidf`;
    const firstPositive = (await shardRows(dir)).find((r) => r.label === "1")!;
    await assert.rejects(loadSplitMatrices(dir, { classes: ["0"] }), (error: Error) => {
      assert.ok(error instanceof DataError, `${error}`);
      assert.ok(error.message.includes(dir), error.message);
      assert.ok(error.message.includes(`id ${JSON.stringify(firstPositive.id)}`), error.message);
      assert.ok(error.message.includes(`label "1" is not a known class`), error.message);
      return true;
    });
  });

  await t.step("text shards hold no features: ConfigError", async () => {
    await assert.rejects(loadSplitMatrices(`${out.path}/text`), ConfigError);
  });

  await t.step("an incomplete shard set is a ConfigError", async () => {
    await using copy = await tempDir();
    const source = `${out.path}/${SAE}/values`;
    for await (const entry of Deno.readDir(source)) {
      if (entry.isFile) await Deno.copyFile(`${source}/${entry.name}`, `${copy.path}/${entry.name}`);
    }
    // The copy loads as the original does …
    const whole = await loadSplitMatrices(copy.path);
    assert.equal([...whole.splits.values()].reduce((n, m) => n + m.X.rows, 0), 80);
    // … until its manifest says the run that writes it has not finished.
    const manifest = JSON.parse(await Deno.readTextFile(`${copy.path}/_manifest.json`));
    manifest.complete = false;
    await Deno.writeTextFile(`${copy.path}/_manifest.json`, JSON.stringify(manifest));
    await assert.rejects(loadSplitMatrices(copy.path), (error: Error) => {
      assert.ok(error instanceof ConfigError, `${error}`);
      assert.match(error.message, /has not finished/);
      return true;
    });
    // A directory with no manifest at all.
    await Deno.remove(`${copy.path}/_manifest.json`);
    await assert.rejects(loadSplitMatrices(copy.path), ConfigError);
  });
});

Deno.test("loadSplitMatrices: classes default to the dataset's label names, in their declared order", async () => {
  await using out = await tempDir();
  // The label map names 0 "zneg" and 1 "apos": declared order, deliberately not sorted.
  await runExtract(
    args(
      out.path,
      ...["--label-map", '["zneg","apos"]', "--hidden", "last", "--binarize", "none", "--no-values"],
      ...["--no-tfidf", "--no-text"],
    ),
  );
  const dir = `${out.path}/hidden/l1/last`;
  const rows = await shardRows(dir);
  assert.deepEqual([...new Set(rows.map((r) => r.label))].sort(), ["apos", "zneg"]);
  const loaded = await loadSplitMatrices(dir);
  assert.deepEqual(loaded.classes, ["zneg", "apos"]);
  for (const [split, m] of loaded.splits) {
    assert.deepEqual(
      Array.from(m.y),
      rows.filter((r) => r.split === split).map((r) => (r.label === "zneg" ? 0 : 1)),
      `${split}: label names map to their declared ids`,
    );
  }
});
