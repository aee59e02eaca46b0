/**
 * `deno task demo`: the main job on the embedded default, offline. Until the model stages land, it ingests the
 * embedded dataset (the `sentiment` package's review sentences) into Parquet shards and summarises them with
 * arquero: what a run looks like, end to end through the streaming spine, the dataset reader and the shard sink.
 * @module
 */
import * as aq from "arquero";
import { type ProgressMode } from "@saeflow/core";
import { loadShards } from "@saeflow/io";
import { ingest } from "./ingest.ts";
import { runTask, type TaskDefinition } from "./lib/cli.ts";
import { addProgressOption } from "./lib/parse.ts";

interface DemoOptions {
  out: string;
  progress: ProgressMode;
}

export const demoTask: TaskDefinition<DemoOptions> = {
  name: "demo",
  summary: "Run the embedded default offline: ingest the sentiment review sentences into shards and summarise them",
  options: (command) => addProgressOption(command.option("--out <dir>", "output directory", "out/demo")),
  presentational: ["out", "progress"],
  async run({ out, progress }, context) {
    console.log(
      "saeflow demo — embedded dataset: sentiment-fixtures (UCI Sentiment Labelled Sentences via npm `sentiment`)",
    );
    console.log("stage: ingest only (tokenize/forward/SAE/probe stages are not built yet; no model is used)\n");
    const dir = `${out}/text`;
    const { manifest, skipped, alreadyComplete } = await ingest(
      { dataset: "sentiment-fixtures", out: dir, shardSize: 1000, header: true, skipBad: false, progress },
      context,
    );
    if (alreadyComplete) console.log(`reusing the finished shards in ${dir} (delete it to run again from scratch)`);
    if (skipped) console.log(skipped);
    const table = (await loadShards(dir, { columns: ["id", "label", "text"] }))
      .derive({
        domain: aq.escape((d: { id: string }) => d.id.split(":")[0]),
        words: aq.escape((d: { text: string }) => d.text.trim().split(/\s+/).length),
      });
    console.log(
      `\n${manifest.records} records in ${manifest.shards.length} shards under ${dir} (config ${manifest.configHash})\n`,
    );
    table.groupby("domain", "label")
      .rollup({ records: aq.op.count(), mean_words: aq.op.mean("words"), max_words: aq.op.max("words") })
      .derive({ mean_words: (d: { mean_words: number }) => aq.op.round(d.mean_words * 10) / 10 })
      .orderby("domain", "label")
      .print();
  },
};

if (import.meta.main) await runTask(demoTask);
