/** The README's main command, offline, on the embedded default. */
import assert from "node:assert/strict";
import { openShardSet } from "@saeflow/io";
import { tempDir } from "../helpers.ts";

Deno.test("deno task demo ingests the embedded sentiment sentences and prints the summary table", async () => {
  await using dir = await tempDir();
  const demo = new URL("../../pipelines/demo.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo, "--out", dir.path, "--progress", "lines"],
    env: { HF_HUB_OFFLINE: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(out, /skipped 3 bad records: 3 missing text/);
  assert.match(out, /3000 records in 3 shards/);
  for (const domain of ["amazon", "imdb", "yelp"]) {
    for (const label of ["negative", "positive"]) {
      assert.match(out, new RegExp(`"${domain}"\\s*│\\s*"${label}"\\s*│\\s*500 │`));
    }
  }
  const set = await openShardSet(`${dir.path}/text`);
  assert.deepEqual(set.manifest.classCounts, { "": { negative: 1500, positive: 1500 } });
  assert.deepEqual((set.manifest.extra.badRecords as { total: number }).total, 3);
});
