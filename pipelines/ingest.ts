/**
 * `deno task ingest`: stream any dataset (registry name, file, or Hugging Face id) into Parquet shards of text
 * records (id, label, split, text). It validates the data, caches Hub datasets, and is the first hop of every run.
 * @module
 */
import {
  abortable,
  type ProgressMode,
  ProgressReporter,
  ProgressStream,
  TakeStream,
  type TextRecord,
} from "@saeflow/core";
import { type FeatureRow, openTextDataset, type ShardManifest, ShardWriter } from "@saeflow/io";
import { runTask, type TaskContext, type TaskDefinition } from "./lib/cli.ts";
import { addDatasetOptions, type DatasetFlags, datasetSpec } from "./lib/dataset_options.ts";
import { addProgressOption, positiveInteger } from "./lib/parse.ts";

/** Options of `deno task ingest`. */
export interface IngestOptions extends DatasetFlags {
  out: string;
  shardSize: number;
  limit?: number;
  progress: ProgressMode;
}

/** What an ingest run did. */
export interface IngestResult {
  manifest: ShardManifest;
  /** The directory was already complete: nothing was read. */
  alreadyComplete: boolean;
  /** One line about skipped records, empty when none. */
  skipped: string;
}

/** Runs an ingest: resumes a partial directory, skips a complete one. */
export async function ingest(options: IngestOptions, { configHash, signal }: TaskContext): Promise<IngestResult> {
  const spec = await datasetSpec(options);
  const writer = await ShardWriter.open({
    dir: options.out,
    shardSize: options.shardSize,
    layout: { text: true },
    metadata: { configHash, featureKind: "text", dataset: spec.name },
  });
  if (writer.wasComplete) {
    writer.release();
    return { manifest: writer.manifest(true), alreadyComplete: true, skipped: "" };
  }
  const opened = await openTextDataset(spec);
  writer.annotate("dataset", {
    name: spec.name,
    description: spec.description,
    fields: spec.fields,
    labelNames: opened.labelNames,
    sources: opened.opened,
  });
  writer.annotate("badRecords", opened.bad);
  const progress = new ProgressReporter({ label: `ingest ${spec.name}`, mode: options.progress, total: options.limit });
  let records = abortable(opened.records, signal);
  if (options.limit !== undefined) records = records.pipeThrough(new TakeStream(options.limit));
  try {
    await records
      .pipeThrough(writer.skipCompleted((record) => record.id))
      .pipeThrough(new ProgressStream(progress))
      .pipeThrough(
        new TransformStream<TextRecord, FeatureRow>({
          transform: ({ id, label, split, text }, controller) => controller.enqueue({ id, label, split, text }),
        }),
      )
      .pipeTo(writer.writable, { signal });
  } finally {
    progress.stop(); // on failure too: the bar must not keep the cursor hidden
  }
  progress.finish();
  return { manifest: writer.manifest(true), alreadyComplete: false, skipped: opened.bad.summary() };
}

export const ingestTask: TaskDefinition<IngestOptions> = {
  name: "ingest",
  summary: "Stream a dataset into Parquet shards of text records (id, label, split, text). A rerun resumes.",
  options: (command) =>
    addProgressOption(
      addDatasetOptions(command)
        .option("--out <dir>", "shard directory", "out/ingest")
        .option("--shard-size <n>", "records per shard file", positiveInteger("--shard-size"), 10_000)
        .option("--limit <n>", "read at most this many records", positiveInteger("--limit")),
    ),
  presentational: ["out", "progress"],
  async run(options, context) {
    const { manifest, alreadyComplete, skipped } = await ingest(options, context);
    if (alreadyComplete) {
      console.log(`${options.out} is already complete (config ${manifest.configHash}); nothing to do`);
    }
    if (skipped) console.log(skipped);
    console.log(
      `${options.out}: ${manifest.records} records in ${manifest.shards.length} shard(s), config ${manifest.configHash}`,
    );
  },
};

if (import.meta.main) await runTask(ingestTask);
