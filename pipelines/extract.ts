/**
 * `deno task extract`: a dataset through tokenize → forward → saeEncode → pool → binarize into Parquet shards, for
 * every layer × SAE × pooling × threshold plus the hidden-state and TF-IDF baselines, in ONE pass over the model.
 * A pre-pass over the records (ids and labels only) fixes the stratified split, and fits TF-IDF on its training part;
 * every shard set then carries the same split. Shards come out in input order whatever the batching, a rerun
 * resumes, and `_extract.json` records what was run and measured.
 * @module
 */
import { createHash } from "node:crypto";
import { type BinarizeSpec, parseBinarizeSpec } from "@saeflow/binarize";
import {
  abortable,
  ConfigError,
  DataError,
  type ProgressMode,
  ProgressReporter,
  ProgressStream,
  ReorderStream,
  TakeStream,
  type TextRecord,
} from "@saeflow/core";
import { type ForwardModel, ForwardStream, loadDecoder, type ModelInfo } from "@saeflow/forward";
import {
  type DatasetSpec,
  type FeatureRow,
  type OpenedDataset,
  openTextDataset,
  readJsonFile,
  readManifest,
  ShardWriter,
  stratifiedSplit,
  type StratifiedSplitOptions,
  writeFileAtomic,
  writeJsonAtomic,
} from "@saeflow/io";
import { namePools, parsePoolSpec, TfidfModel, TfidfVectorizer, type ValidPoolSpec } from "@saeflow/pool";
import {
  FeatureStats,
  type FeatureSummary,
  type HookedSae,
  SaeEncoder,
  TopActivations,
  type TopActivationsJson,
} from "@saeflow/sae";
import { type TokenizeOptions, TokenizeStream, tokenTexts } from "@saeflow/tokenize";
import { PeakRss } from "./lib/peak_rss.ts";
import { runTask, type TaskContext, type TaskDefinition } from "./lib/cli.ts";
import { addDatasetOptions, type DatasetFlags, datasetSpec } from "./lib/dataset_options.ts";
import { addModelOptions, loadTokenizerFor, type ModelFlags } from "./lib/model_options.ts";
import { addProgressOption, listOf, nonNegativeInteger, numberIn, oneOf, positiveInteger } from "./lib/parse.ts";
import {
  checkDistinctIds,
  hookOf,
  layerSaes,
  loadFileSaes,
  parseSaeSource,
  type SaeSource,
} from "./lib/sae_sources.ts";
import {
  type ExtractedBatch,
  ExtractStage,
  type ExtractStageOptions,
  HIDDEN_POOLS,
  type HiddenPool,
} from "./lib/extract/extracted_batch.ts";
import {
  type ExtractOutput,
  hiddenOutputs,
  saeOutputs,
  textOutput,
  tfidfOutput,
} from "./lib/extract/extract_outputs.ts";
import { StageTimes } from "./lib/stage_times.ts";

/** Options of `deno task extract`. */
export interface ExtractOptions extends DatasetFlags, ModelFlags {
  layers: number[];
  site: string;
  sae: SaeSource[];
  pool: ValidPoolSpec[];
  /** Fixed-threshold rules; empty: no binarized shards. */
  binarize: BinarizeSpec[];
  /** Also write the continuous pooled values. */
  values: boolean;
  hidden: HiddenPool[];
  tfidf: boolean;
  tfidfMaxFeatures: number;
  tfidfStopWords: string;
  text: boolean;
  seed: number;
  train: number;
  validation: number;
  test: number;
  /** Ignore the splits the dataset comes with. */
  resplit: boolean;
  limit?: number;
  shardSize: number;
  /** The strongest activating tokens kept per SAE feature, with contexts (0: none). */
  featureExamples: number;
  out: string;
  progress: ProgressMode;
}

/** `_extract.json`: what a run was and what it measured. */
export interface ExtractSummary {
  configHash: string;
  complete: boolean;
  model: ModelInfo & { tokenizer: string };
  dataset: {
    name: string;
    records: number;
    labelNames?: string[];
    classCounts: Record<string, Record<string, number>>;
    /** One line about records skipped as bad (`--skip-bad` or the registry's `onBad: skip`), empty when none. */
    skipped: string;
  };
  split: { seed: number; fractions: { train: number; validation: number; test: number }; presets: "keep" | "reassign" };
  hooks: string[];
  saes: { id: string; hook: string; sae: string; source: string; dSae: number; stats?: FeatureSummary }[];
  pools: string[];
  outputs: { path: string; featureKind: string; records: number; bytes: number }[];
  tfidf?: { vocabulary: number; documents: number };
  /** This run only (a resumed run times what it did). */
  run: {
    records: number;
    tokens: number;
    /** Where this run started: 0, or the first record a resumed run had still to write. */
    firstRecord: number;
    seconds: number;
    recordsPerSecond: number;
    tokensPerSecond: number;
    /** Largest resident set size of the process seen during the pass (sampled every 100 ms), in MiB. */
    peakRssMb: number;
  };
  stageMs: Record<string, number>;
}

/** What an extract run did. */
export interface ExtractResult {
  summary: ExtractSummary;
  /** Every shard set was already complete: the model was not run. */
  alreadyComplete: boolean;
  /** Busy time per stage and its share of the wall time, one line. */
  shares: string;
}

export const SUMMARY_FILE = "_extract.json";
export const TFIDF_FILE = "tfidf_model.json";
/** Beside an SAE's shard sets (`sae/<id>/`): its features' strongest activating tokens ({@link TopActivationsJson}). */
export const FEATURE_EXAMPLES_FILE = "top_activations.json";

/** Runs an extract: resumes partial shard sets, skips a complete run. */
export async function extract(options: ExtractOptions, { configHash, signal }: TaskContext): Promise<ExtractResult> {
  const spec = await datasetSpec(options);
  const fractions = { train: options.train, validation: options.validation, test: options.test };
  const splitOptions = {
    seed: options.seed,
    fractions,
    presets: options.resplit ? "reassign" as const : "keep" as const,
  };
  const datasetRecords = async () => {
    const opened = await openTextDataset(spec);
    const records = abortable(opened.records, signal);
    return { opened, records: options.limit ? records.pipeThrough(new TakeStream(options.limit)) : records };
  };

  const { splits, fingerprint, opened } = await splitPrepass(await datasetRecords(), splitOptions, spec.name);

  const fileSaes = await loadFileSaes(options.sae, options.site);
  const layerHooks = options.layers.map((layer) => hookOf(layer, options.site));
  const hooks = [...new Set([...layerHooks, ...fileSaes.map((s) => s.hook)])];
  const tokenizer = await loadTokenizerFor(options);
  const model = await loadDecoder(options.model, { hooks, threads: options.threads });
  const saes: HookedSae[] = [];
  try {
    const placed = [
      ...await layerSaes(options.sae, {
        layers: options.layers,
        site: options.site,
        dModel: model.info.dModel,
        model: options.model,
      }),
      ...fileSaes,
    ];
    checkDistinctIds(placed);
    for (const { id, hook, spec } of placed) {
      saes.push({ id, hook, encoder: await SaeEncoder.create(spec, { threads: options.threads }) });
    }
    const tfidf = options.tfidf ? await fitTfidf(options, splits, datasetRecords) : undefined;
    const pools = namePools(options.pool);
    const common = { dataset: spec.name, model: model.info.id, modelRevision: model.info.revision };
    const outputs: ExtractOutput[] = [
      ...(options.text ? [textOutput(common)] : []),
      ...hiddenOutputs(layerHooks, options.hidden, model.info.dModel, common),
      ...(tfidf ? [tfidfOutput(tfidf.vocabulary.length, common)] : []),
      ...saeOutputs(saes, pools, { binarize: options.binarize, continuous: options.values }, common),
    ];
    if (outputs.length === 0) throw new ConfigError("nothing to extract: every output is switched off");

    await Deno.mkdir(options.out, { recursive: true });
    const writers = await openWriters(outputs, options, configHash, {
      spec,
      opened,
      splitOptions,
      fingerprint,
    });
    // Examples need every record through the model: a run that has to (re)write them starts at record 0, and the
    // shard writers skip the records they already hold.
    const examplesToWrite = options.featureExamples > 0 &&
      !(await examplesWritten(options.out, saes.map((s) => s.id), options.featureExamples));
    const alreadyComplete = writers.every((w) => w.wasComplete) && !examplesToWrite;
    if (tfidf && !alreadyComplete) {
      const json = new TextEncoder().encode(JSON.stringify(tfidf.toJSON()) + "\n");
      await writeFileAtomic(`${options.out}/${TFIDF_FILE}`, [json]);
    }
    const stats = new Map(saes.map(({ id, encoder: { spec } }) => [id, new FeatureStats(spec.dSae, spec.dIn)]));
    const examples = examplesToWrite
      ? new Map(saes.map(({ id, encoder: { spec } }) => [
        id,
        new TopActivations(spec.dSae, { perFeature: options.featureExamples }),
      ]))
      : undefined;
    const times = new StageTimes();
    const started = performance.now();
    let run = { records: 0, tokens: 0, firstRecord: 0 };
    const peakRss = new PeakRss(100);
    try {
      if (!alreadyComplete) {
        const stream = await streamRecords({
          records: (await datasetRecords()).records.pipeThrough(withSplit(splits)),
          writers,
          outputs,
          tokenize: {
            tokenizer,
            maxTokens: options.maxTokens,
            batchSize: options.batchSize,
            padMultiple: PAD_MULTIPLE,
          },
          model,
          extract: { saes, pools, hidden: { hooks: layerHooks, pools: options.hidden }, tfidf, stats, examples, times },
          progress: new ProgressReporter({ label: `extract ${spec.name}`, mode: options.progress, total: splits.size }),
          signal,
          fromStart: examples !== undefined,
        });
        run = stream;
      }
    } finally {
      peakRss.stop();
      writers.forEach((w) => w.release()); // a failure before the stream started leaves them open
    }
    const forward = model.timings;
    if (forward.batches) times.add("forward", forward.feedMs + forward.runMs);
    const seconds = (performance.now() - started) / 1000;
    const summary: ExtractSummary = {
      configHash,
      complete: true,
      model: { ...model.info, config: undefined, tokenizer: tokenizer.name },
      dataset: {
        name: spec.name ?? options.dataset,
        records: splits.size,
        labelNames: opened.labelNames,
        classCounts: writers[0].manifest(true).classCounts,
        skipped: opened.bad.summary(),
      },
      split: { ...splitOptions, fractions: { ...fractions } },
      hooks,
      saes: saes.map(({ id, hook, encoder: { spec } }) => ({
        id,
        hook,
        sae: spec.id,
        source: spec.source,
        dSae: spec.dSae,
        ...(run.tokens ? { stats: stats.get(id)!.summary() } : {}),
      })),
      pools: [...pools.keys()],
      outputs: outputs.map((o, k) => {
        const { records, shards } = writers[k].manifest(true);
        return {
          path: o.path,
          featureKind: String(o.metadata.featureKind),
          records,
          bytes: shards.reduce((sum, s) => sum + s.bytes, 0),
        };
      }),
      ...(tfidf ? { tfidf: { vocabulary: tfidf.vocabulary.length, documents: tfidf.documents } } : {}),
      run: {
        ...run,
        seconds,
        recordsPerSecond: run.records / seconds,
        tokensPerSecond: run.tokens / seconds,
        peakRssMb: peakRss.mebibytes(),
      },
      stageMs: times.toJSON(),
    };
    if (!alreadyComplete) {
      for (const [id, top] of examples ?? []) {
        const json: TopActivationsJson = top.toJSON((ids) => tokenTexts(tokenizer, ids));
        await writeJsonAtomic(`${options.out}/sae/${id}/${FEATURE_EXAMPLES_FILE}`, json);
      }
      await writeJsonAtomic(`${options.out}/${SUMMARY_FILE}`, summary);
    }
    return { summary, alreadyComplete, shares: times.shares(seconds * 1000) };
  } finally {
    for (const { encoder } of saes) await encoder.release();
    await model.release();
  }
}

/** Whether every SAE's examples file is there, with `perFeature` examples per feature. */
async function examplesWritten(out: string, ids: readonly string[], perFeature: number): Promise<boolean> {
  for (const id of ids) {
    const json = await readJsonFile<TopActivationsJson>(
      `${out}/sae/${id}/${FEATURE_EXAMPLES_FILE}`,
      "feature examples",
    );
    if (json?.perFeature !== perFeature) return false;
  }
  return true;
}

/**
 * The pre-pass: every record's id and label (the split needs all of them before the first record is written), and a
 * fingerprint of the records (SHA-256 of each one's id, label, split and text) that tells a resumed run whether the
 * data changed under it.
 */
async function splitPrepass(
  { opened, records }: { opened: OpenedDataset<TextRecord>; records: ReadableStream<TextRecord> },
  options: StratifiedSplitOptions,
  name = "dataset",
): Promise<{ splits: Map<string, string>; fingerprint: string; opened: OpenedDataset<TextRecord> }> {
  const labelled: { id: string; label?: string; split?: string }[] = [];
  const fingerprint = createHash("sha256");
  for await (const { id, label, split, text } of records) {
    labelled.push({ id, label, split });
    fingerprint.update(JSON.stringify([id, label ?? null, split ?? null, text]) + "\n");
  }
  if (labelled.length === 0) throw new DataError(name, {}, "no records", "at least one record");
  return { splits: stratifiedSplit(labelled, options), fingerprint: fingerprint.digest("hex"), opened };
}

/**
 * The one pass over the model: records (from the least complete writer's position on) → tokenize → forward →
 * every feature → back into input order → every shard writer. Returns what went through the model.
 */
async function streamRecords({ records, writers, outputs, tokenize, model, extract, progress, signal, fromStart }: {
  records: ReadableStream<TextRecord>;
  writers: readonly ShardWriter[];
  outputs: readonly ExtractOutput[];
  tokenize: TokenizeOptions;
  model: ForwardModel;
  extract: ExtractStageOptions;
  progress: ProgressReporter;
  signal: AbortSignal;
  /** Run the model over every record, not only those some writer still lacks. */
  fromStart: boolean;
}): Promise<{ records: number; tokens: number; firstRecord: number }> {
  const start = fromStart ? 0 : Math.min(...writers.map((w) => w.completedRecords));
  const least = writers.reduce((a, w) => (w.completedRecords < a.completedRecords ? w : a));
  const order = new Map<string, number>();
  const run = { records: 0, tokens: 0, firstRecord: start };
  let seq = start;
  progress.add(start, 0);
  try {
    await (start > 0 ? records.pipeThrough(least.skipCompleted((record) => record.id)) : records)
      .pipeThrough(
        new TransformStream<TextRecord, TextRecord>({
          transform: (record, controller) => (order.set(record.id, seq++), controller.enqueue(record)),
        }),
      )
      .pipeThrough(new TokenizeStream(tokenize))
      .pipeThrough(new ForwardStream({ model }))
      .pipeThrough(new ExtractStage(extract))
      .pipeThrough(
        new ProgressStream(progress, (b: ExtractedBatch) => ({ records: b.records.length, tokens: b.tokens })),
      )
      .pipeThrough(perRecord(order, (batch) => (run.records += batch.records.length, run.tokens += batch.tokens)))
      .pipeThrough(new ReorderStream({ indexOf: (item: RecordOf) => item.seq, start }))
      .pipeTo(fanOut(writers, outputs, start, extract.times), { signal });
  } finally {
    progress.stop(); // on failure too: the bar must not keep the cursor hidden
  }
  progress.finish();
  return run;
}

/** TF-IDF fitted on the training split's texts (a second read of the dataset, nothing held but the counts). */
async function fitTfidf(
  options: ExtractOptions,
  splits: Map<string, string>,
  datasetRecords: () => Promise<{ records: ReadableStream<TextRecord> }>,
): Promise<TfidfModel> {
  const { records } = await datasetRecords();
  const trainTexts = records.pipeThrough(
    new TransformStream<TextRecord, string>({
      transform: (record, controller) => {
        if (splits.get(record.id) === "train") controller.enqueue(record.text);
      },
    }),
  );
  return await TfidfVectorizer.fit(trainTexts, {
    maxFeatures: options.tfidfMaxFeatures,
    stopWords: options.tfidfStopWords,
  });
}

/**
 * One shard writer per output, each manifest annotated with the dataset, its fingerprint (SHA-256 of every record's
 * id, label, split and text) and the split. A directory written from other records under the same configuration
 * (the file was edited) is refused: record ids alone cannot tell.
 */
async function openWriters(
  outputs: readonly ExtractOutput[],
  options: ExtractOptions,
  configHash: string,
  { spec, opened, splitOptions, fingerprint }: {
    spec: DatasetSpec & { description?: string };
    opened: { labelNames?: string[]; opened: unknown[] };
    splitOptions: unknown;
    fingerprint: string;
  },
): Promise<ShardWriter[]> {
  const writers: ShardWriter[] = [];
  try {
    for (const output of outputs) {
      const dir = `${options.out}/${output.path}`;
      const manifest = await readManifest(dir);
      const previous = manifest?.configHash === configHash ? manifest.extra.datasetFingerprint : undefined;
      if (previous !== undefined && previous !== fingerprint) {
        throw new ConfigError(
          `the dataset changed since ${dir} was written (its records hash to ${fingerprint.slice(0, 12)}…, ` +
            `the shards' to ${String(previous).slice(0, 12)}…): write to a new directory, or delete that one`,
        );
      }
      const writer = await ShardWriter.open({
        dir,
        shardSize: options.shardSize,
        layout: output.layout,
        metadata: { ...output.metadata, configHash },
      });
      writers.push(writer);
      writer.annotate("dataset", {
        name: spec.name,
        description: spec.description,
        labelNames: opened.labelNames,
        labelMap: spec.labels,
        sources: opened.opened,
      });
      writer.annotate("datasetFingerprint", fingerprint);
      writer.annotate("split", splitOptions);
    }
    return writers;
  } catch (error) {
    writers.forEach((w) => w.release());
    throw error;
  }
}

/** Sets each record's split from the pre-pass; a record it did not see means the data changed under the run. */
function withSplit(splits: ReadonlyMap<string, string>): TransformStream<TextRecord, TextRecord> {
  return new TransformStream({
    transform(record, controller) {
      const split = splits.get(record.id);
      if (split === undefined) {
        throw new DataError(record.id, { id: record.id }, "record not seen by the split pre-pass", "unchanged input");
      }
      controller.enqueue({ ...record, split });
    },
  });
}

/** One record of an extracted batch, numbered by its input position. */
interface RecordOf {
  seq: number;
  batch: ExtractedBatch;
  index: number;
}

function perRecord(
  order: Map<string, number>,
  onBatch: (batch: ExtractedBatch) => void,
): TransformStream<ExtractedBatch, RecordOf> {
  return new TransformStream({
    transform(batch, controller) {
      onBatch(batch);
      batch.records.forEach((record, index) => {
        const seq = order.get(record.id)!;
        order.delete(record.id);
        controller.enqueue({ seq, batch, index });
      });
    },
  });
}

/**
 * The sink: each record's row of every output, written to that output's shard writer. Writers that a killed run
 * left ahead of the others skip the records they already hold (checking the last one's id).
 */
function fanOut(
  writers: readonly ShardWriter[],
  outputs: readonly ExtractOutput[],
  start: number,
  times: StageTimes,
): WritableStream<RecordOf> {
  const sinks = writers.map((writer) => {
    const skip = writer.skipCompleted((row: FeatureRow) => row.id, { startsAt: start });
    const done = skip.readable.pipeTo(writer.writable);
    done.catch(() => {}); // surfaced by the next write or by close
    return { writer: skip.writable.getWriter(), done };
  });
  return new WritableStream<RecordOf>({
    async write({ batch, index }) {
      const { id, label, split } = batch.records[index];
      const started = performance.now();
      for (const [k, { writer }] of sinks.entries()) {
        await writer.write({ id, label, split, ...outputs[k].features(batch, index) });
      }
      times.add("binarize + write shards", performance.now() - started);
    },
    async close() {
      await Promise.all(sinks.map(({ writer }) => writer.close()));
      await Promise.all(sinks.map(({ done }) => done));
    },
    async abort(reason) {
      await Promise.all(sinks.map(({ writer }) => writer.abort(reason).catch(() => {})));
    },
  });
}

/**
 * Rows are padded to a multiple of 8 tokens of their own length, never to their batch's longest: activations (and so
 * every shard byte) are then the same whatever the batch size, and a resumed run matches an uninterrupted one.
 */
const PAD_MULTIPLE = 8;

const DEFAULT_POOLS = [parsePoolSpec("sum")];
const DEFAULT_BINARIZE = [parseBinarizeSpec("gt:1")];
const DEFAULT_SAES: SaeSource[] = [];
const DEFAULT_HIDDEN: HiddenPool[] = [...HIDDEN_POOLS];

/** `--binarize none` switches binarized shards off; per-feature thresholds need a fitted pass, not this one. */
function binarizeFlag(value: string): BinarizeSpec | undefined {
  if (value === "none") return undefined;
  const spec = parseBinarizeSpec(value);
  if (spec.rule === "per-feature") {
    throw new ConfigError(
      `--binarize ${value}: per-feature thresholds are fitted on the training split's pooled values; extract the ` +
        `continuous values and fit them with fitQuantileThresholds (@saeflow/binarize)`,
    );
  }
  return spec;
}

export const extractTask: TaskDefinition<ExtractOptions> = {
  name: "extract",
  summary: "Dataset → model → SAE features → pooling → binarization, and hidden-state and TF-IDF baselines, " +
    "into Parquet shards, in one pass over the model. A rerun resumes.",
  options: (command) =>
    addProgressOption(
      addModelOptions(addDatasetOptions(command))
        .requiredOption("--layers <n...>", "layers to read (0-based)", listOf(nonNegativeInteger("--layers"), []))
        .option(
          "--site <point>",
          "hook point of each layer",
          oneOf("--site", ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"]),
          "resid_post",
        )
        .option(
          "--sae <specs...>",
          "random:<width>[:k=<k>][:seed=<s>], gemma-scope:<width>, <path> or <layer>=<path>",
          listOf(parseSaeSource, DEFAULT_SAES),
          DEFAULT_SAES,
        )
        .option(
          "--pool <specs...>",
          "<strategy>[:<n|k>][@no-bos|bos|mosaic-compat]: sum, topn-count:5, mean, max, last, first-k:8, last-k:8",
          listOf(parsePoolSpec, DEFAULT_POOLS),
          DEFAULT_POOLS,
        )
        .option(
          "--binarize <rules...>",
          "gt:<t>, ge:<t>, presence, or none",
          listOf(binarizeFlag, DEFAULT_BINARIZE),
          DEFAULT_BINARIZE,
        )
        .option("--no-values", "do not write the continuous pooled values")
        .option(
          "--hidden <baselines...>",
          "hidden-state baselines: last, mean, or none",
          listOf((value) => value === "none" ? undefined : oneOf("--hidden", HIDDEN_POOLS)(value), DEFAULT_HIDDEN),
          DEFAULT_HIDDEN,
        )
        .option("--no-tfidf", "no TF-IDF baseline")
        .option("--tfidf-max-features <n>", "TF-IDF vocabulary cap", positiveInteger("--tfidf-max-features"), 20_000)
        .option(
          "--tfidf-stop-words <list>",
          "stop words: english (scikit-learn's), none, or a data/stopwords list",
          "english",
        )
        .option("--no-text", "no text shards")
        .option("--seed <n>", "split seed", nonNegativeInteger("--seed"), 42)
        .option("--train <fraction>", "train fraction of the split", numberIn("--train", 0, 1), 0.8)
        .option("--validation <fraction>", "validation fraction", numberIn("--validation", 0, 1), 0)
        .option("--test <fraction>", "test fraction", numberIn("--test", 0, 1), 0.2)
        .option("--resplit", "split every record, ignoring the splits the dataset comes with", false)
        .option("--limit <n>", "read at most this many records", positiveInteger("--limit"))
        .option("--shard-size <n>", "records per shard file", positiveInteger("--shard-size"), 10_000)
        .option(
          "--feature-examples <n>",
          `keep each SAE feature's n strongest activating tokens with their contexts (sae/<id>/${FEATURE_EXAMPLES_FILE}, ` +
            "shown in the report)",
          nonNegativeInteger("--feature-examples"),
          0,
        )
        .option("--out <dir>", "output directory", "out/extract"),
    ),
  // featureExamples shapes no shard: a run whose examples file is missing or has another n writes it again.
  presentational: ["out", "progress", "batchSize", "threads", "featureExamples"],
  async run(options, context) {
    const { summary, alreadyComplete, shares } = await extract(options, context);
    if (alreadyComplete) {
      console.log(`${options.out} is already complete (config ${summary.configHash}); nothing to do`);
      return;
    }
    const { run } = summary;
    console.log(
      `${options.out}: ${summary.dataset.records} records, ${summary.outputs.length} shard sets, config ${summary.configHash}`,
    );
    console.log(
      `this run: ${run.records} records, ${run.tokens} tokens in ${run.seconds.toFixed(1)} s ` +
        `(${run.recordsPerSecond.toFixed(1)} records/s, ${Math.round(run.tokensPerSecond)} tokens/s, ` +
        `peak RSS ${Math.round(run.peakRssMb)} MiB)`,
    );
    console.log(`busy time per stage (stages overlap): ${shares}`);
    for (const sae of summary.saes) {
      if (sae.stats) {
        console.log(`${sae.id}: L0 ${sae.stats.meanL0.toFixed(1)}, dead ${(100 * sae.stats.deadFraction).toFixed(1)}%`);
      }
    }
  },
};

if (import.meta.main) await runTask(extractTask);
