import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { parseTask, type TaskDefinition } from "../../pipelines/lib/cli.ts";
import { positiveInteger } from "../../pipelines/lib/parse.ts";
import { tempDir } from "../helpers.ts";

const task: TaskDefinition<{ layers: number; pool: string; out: string }> = {
  name: "t",
  summary: "test task",
  options: (c) =>
    c.option("--layers <n>", "", positiveInteger("--layers"), 1).option("--pool <p>", "", "sum").option(
      "--out <dir>",
      "",
      "out",
    ),
  presentational: ["out"],
  run: () => Promise.resolve(),
};

Deno.test("config file values apply unless a flag overrides them; the hash ignores presentational options", async () => {
  await using dir = await tempDir();
  const yaml = `${dir.path}/c.yaml`;
  await Deno.writeTextFile(yaml, "pool: top-5\nlayers: 3\n");
  const fromFile = await parseTask(task, ["--config", yaml]);
  assert.deepEqual(fromFile.options, { layers: 3, pool: "top-5", out: "out" });
  const flagWins = await parseTask(task, ["--config", yaml, "--pool", "max"]);
  assert.equal(flagWins.options.pool, "max");
  const sameByFlags = await parseTask(task, ["--pool", "top-5", "--layers", "3", "--out", "elsewhere"]);
  assert.equal(sameByFlags.configHash, fromFile.configHash, "same settings, other output dir: same hash");
  assert.notEqual(flagWins.configHash, fromFile.configHash);
  const json = `${dir.path}/c.json`;
  await Deno.writeTextFile(json, JSON.stringify({ layers: 3, pool: "top-5" }));
  assert.equal((await parseTask(task, ["--config", json])).configHash, fromFile.configHash);
});

Deno.test("unknown config keys and bad flag values are named", async () => {
  await using dir = await tempDir();
  const yaml = `${dir.path}/c.yaml`;
  await Deno.writeTextFile(yaml, "pooling: sum\n");
  await assert.rejects(
    parseTask(task, ["--config", yaml]),
    (e) =>
      e instanceof ConfigError && /c\.yaml: unknown option "pooling"; known options: layers, pool, out/.test(e.message),
  );
  await assert.rejects(parseTask(task, ["--layers", "0"]), /--layers 0: expected a positive integer/);
  await Deno.writeTextFile(yaml, "- a list\n");
  await assert.rejects(parseTask(task, ["--config", yaml]), /expected a mapping of option names to values/);
});

const datasetTask: TaskDefinition<{ dataset: string; split?: string[]; skipBad: boolean; shardSize: number }> = {
  name: "d",
  summary: "a task with a required option, a variadic one, a boolean and a validated number",
  options: (c) =>
    c.requiredOption("--dataset <name>", "")
      .option("--split <names...>", "")
      .option("--skip-bad", "", false)
      .option("--shard-size <n>", "", positiveInteger("--shard-size"), 10),
  presentational: [],
  run: () => Promise.resolve(),
};

Deno.test("config values are validated like flags, may supply required options, and hash like flags", async () => {
  await using dir = await tempDir();
  const yaml = `${dir.path}/c.yaml`;
  const write = (text: string) => Deno.writeTextFile(yaml, text);
  await write("dataset: sst2\nsplit: test\nskipBad: true\nshardSize: '100'\n");
  const fromFile = await parseTask(datasetTask, ["--config", yaml]);
  assert.deepEqual(fromFile.options, { dataset: "sst2", split: ["test"], skipBad: true, shardSize: 100 });
  const fromFlags = await parseTask(datasetTask, [
    "--dataset",
    "sst2",
    "--split",
    "test",
    "--skip-bad",
    "--shard-size",
    "100",
  ]);
  assert.equal(fromFile.configHash, fromFlags.configHash);
  assert.deepEqual((await parseTask(datasetTask, [`--config=${yaml}`, "--split", "a", "b"])).options.split, ["a", "b"]);

  await write("dataset: sst2\nshardSize: 0\n");
  await assert.rejects(parseTask(datasetTask, ["--config", yaml]), /--shard-size 0: expected a positive integer/);
  await write("dataset: sst2\nskipBad: 'yes'\n");
  await assert.rejects(
    parseTask(datasetTask, ["--config", yaml]),
    /c\.yaml: skipBad: expected true or false, got "yes"/,
  );
  await write("dataset: [a, b]\n");
  await assert.rejects(
    parseTask(datasetTask, ["--config", yaml]),
    /c\.yaml: dataset: expected one value, got \["a","b"\]/,
  );
  await write("split: test\n");
  await assert.rejects(parseTask(datasetTask, ["--config", yaml]), /required option '--dataset <name>' not specified/);
});
