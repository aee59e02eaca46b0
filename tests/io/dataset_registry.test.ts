import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { loadDatasetRegistry } from "@saeflow/io";
import { tempDir } from "../helpers.ts";

const REGISTRY = new URL("../../data/datasets.yaml", import.meta.url).pathname;

Deno.test("the shipped registry: every entry has sources and a text column; local files exist after npm ci", async () => {
  const registry = await loadDatasetRegistry(REGISTRY);
  assert.ok(registry.has("sentiment-fixtures"));
  for (const [name, entry] of registry) {
    assert.ok(entry.sources.length > 0, name);
    assert.ok(entry.fields.text, `${name} names its text column`);
    for (const source of entry.sources) {
      assert.ok(source.path || source.hub, `${name}: a source has a path or a hub id`);
      if (source.path) await Deno.stat(source.path); // resolved against data/, present after npm ci
    }
  }
});

Deno.test("relative paths resolve against the registry file; malformed entries are named", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/reg.yaml`;
  await Deno.writeTextFile(
    path,
    "a:\n  sources: [{ path: sub/x.csv, labelsPath: /abs/y.txt }]\n  fields: { text: t }\n  labels: { file: m.txt }\n",
  );
  const entry = (await loadDatasetRegistry(path)).get("a")!;
  assert.equal(entry.sources[0].path, `${dir.path}/sub/x.csv`);
  assert.equal(entry.sources[0].labelsPath, "/abs/y.txt");
  assert.deepEqual(entry.labels, { file: `${dir.path}/m.txt` });
  await Deno.writeTextFile(path, "b:\n  fields: { text: t }\n");
  await assert.rejects(
    loadDatasetRegistry(path),
    (e) => e instanceof ConfigError && /dataset "b" needs "sources"/.test(e.message),
  );
});
