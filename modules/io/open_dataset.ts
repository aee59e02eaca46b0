/**
 * The front door of dataset reading: a dataset spec (files or a Hugging Face dataset, a column mapping, a label map)
 * in, a stream of typed records out.
 * @module
 */
import { concatStreams, ConfigError, type ImageRecord, type TextRecord } from "@saeflow/core";
import { type BadRecordMode, BadRecords } from "./bad_records.ts";
import { baseName } from "./file_bytes.ts";
import { type CsvOptions, readCsv } from "./formats/csv.ts";
import { readJsonArray } from "./formats/json_array.ts";
import { readJsonl } from "./formats/jsonl.ts";
import { readLineFiles } from "./formats/line_files.ts";
import { readParquet } from "./formats/parquet.ts";
import { resolveHubDataset } from "./hub/hub_dataset.ts";
import type { HubOptions } from "./hub/hub_options.ts";
import { IdSet } from "./id_set.ts";
import { LabelMap, type LabelMapSpec } from "./label_map.ts";
import type { FieldMapping, RecordMappingOptions } from "./record_fields.ts";
import type { RowSource } from "./row_source.ts";
import { RowsToImageRecords, RowsToTextRecords } from "./to_records.ts";

/** File formats a source can have. `lines` is a text file plus an optional parallel labels file. */
export type DatasetFormat = "csv" | "tsv" | "jsonl" | "json" | "parquet" | "lines";

/** A Hugging Face dataset split, read through the Hub's Parquet conversion. */
export interface HubSourceSpec {
  id: string;
  config?: string;
  split: string;
  revision?: string;
}

/** One file (or Hub split) of a dataset. */
export interface SourceSpec {
  path?: string;
  /** The labels file that goes with a `lines` text file. */
  labelsPath?: string;
  hub?: HubSourceSpec;
  /** Override of the format guessed from the file name (`.csv`, `.tsv`, `.jsonl`, `.json`, `.parquet`, `.txt`, each maybe `.gz`). */
  format?: DatasetFormat;
  /** Split of every record in this source (a Hub source defaults to its split). */
  split?: string;
  /** Constant metadata for this source's records, e.g. `{ domain: "imdb" }`. */
  meta?: Record<string, unknown>;
}

/** A dataset: sources read one after another with one column mapping, one label map and one id space. */
export interface DatasetSpec {
  name?: string;
  sources: SourceSpec[];
  fields: FieldMapping;
  /** Label map: a list (index → name), an object (raw → name), or `{ file }` for a TweetEval `mapping.txt`. */
  labels?: LabelMapSpec | { file: string };
  csv?: CsvOptions;
  /** Extra columns copied into each record's `meta`. */
  keep?: string[];
  /** `error` (default) fails on the first bad record; `skip` drops and counts bad records. */
  onBad?: BadRecordMode;
  hub?: HubOptions;
}

/** What was opened: the records, the tally of skipped records, and what is known of the sources. */
export interface OpenedDataset<R> {
  records: ReadableStream<R>;
  bad: BadRecords;
  /** Class names in map order, when a label map was given. */
  labelNames?: string[];
  /** One entry per source, filled in as each is opened (Hub sources gain their local files and revision). */
  opened: { name: string; format: DatasetFormat; files: string[]; revision?: string }[];
}

/**
 * Streams the `TextRecord`s of a dataset.
 *
 * @example
 * ```ts
 * const { records } = await openTextDataset({
 *   sources: [{ path: "../shared/data/jailbreak-classification/jailbreak_dataset_train_balanced.csv", split: "train" }],
 *   fields: { text: "prompt", label: "type" },
 * });
 * for await (const record of records) console.log(record.id, record.label);
 * ```
 */
export function openTextDataset(spec: DatasetSpec): Promise<OpenedDataset<TextRecord>> {
  if (!spec.fields.text) throw new ConfigError("dataset spec needs fields.text: the column that holds the text");
  return openDataset(spec, (source, name, options) => new RowsToTextRecords(source, name, options));
}

/**
 * Streams the `ImageRecord`s of image folders described by index files (CSV with an image path column).
 *
 * @example
 * ```ts
 * const { records } = await openImageDataset({
 *   sources: [{ path: "../shared/data/cifar10-test-subset/labels.csv" }],
 *   fields: { image: "file", label: "label" },
 * });
 * ```
 */
export function openImageDataset(spec: DatasetSpec): Promise<OpenedDataset<ImageRecord>> {
  if (!spec.fields.image) {
    throw new ConfigError("image dataset spec needs fields.image: the column that holds image paths");
  }
  return openDataset(spec, (source, name, options) => new RowsToImageRecords(source, name, directoryOf(name), options));
}

type Mapper<R> = (source: RowSource, name: string, options: RecordMappingOptions) => TransformStream<unknown, R>;

async function openDataset<R>(spec: DatasetSpec, mapper: Mapper<R>): Promise<OpenedDataset<R>> {
  if (spec.sources.length === 0) throw new ConfigError(`dataset ${spec.name ?? "(unnamed)"} has no sources`);
  const labels = spec.labels === undefined
    ? undefined
    : "file" in spec.labels && typeof spec.labels.file === "string"
    ? await LabelMap.fromMappingFile(spec.labels.file)
    : LabelMap.from(spec.labels as LabelMapSpec);
  const bad = new BadRecords(spec.onBad ?? "error");
  const ids = new IdSet();
  const opened: OpenedDataset<R>["opened"] = [];
  const columns = [...new Set([...Object.values(spec.fields).filter((c): c is string => !!c), ...(spec.keep ?? [])])];

  // Sources open one at a time, when the previous one is exhausted: one file handle at a time, and a Hub split is
  // downloaded only when the stream reaches it.
  const prefixes = defaultIdPrefixes(spec.sources);
  async function* parts(): AsyncGenerator<ReadableStream<R>> {
    for (const [index, source] of spec.sources.entries()) {
      for (const file of await sourceFiles(source, prefixes[index], spec, opened)) {
        const rows = await readRows(file, source, spec, columns);
        const options = {
          fields: spec.fields,
          labels,
          split: source.split ?? source.hub?.split,
          meta: source.meta,
          keep: spec.keep,
          idPrefix: file.idPrefix,
          bad,
          ids,
        };
        yield rows.rows.pipeThrough(mapper(rows, file.path, options) as TransformStream<unknown, R>);
      }
    }
  }
  return { records: concatStreams(parts()), bad, labelNames: labels?.names, opened };
}

interface SourceFile {
  path: string;
  format: DatasetFormat;
  /** Prefix of default record ids (see defaultIdPrefixes). */
  idPrefix: string;
}

async function sourceFiles(
  source: SourceSpec,
  idPrefix: string,
  spec: DatasetSpec,
  opened: OpenedDataset<unknown>["opened"],
): Promise<SourceFile[]> {
  if (source.hub) {
    const { files, revision, config } = await resolveHubDataset(source.hub, spec.hub);
    opened.push({ name: `hf:${source.hub.id}/${config}/${source.hub.split}`, format: "parquet", files, revision });
    return files.map((path, n) => ({ path, format: "parquet", idPrefix: `${idPrefix}/${n}` }));
  }
  if (!source.path) throw new ConfigError("a dataset source needs a path or a hub dataset");
  const format = source.format ?? detectFormat(source.path);
  opened.push({ name: source.path, format, files: [source.path, ...(source.labelsPath ? [source.labelsPath] : [])] });
  return [{ path: source.path, format, idPrefix }];
}

function readRows(
  file: SourceFile,
  source: SourceSpec,
  spec: DatasetSpec,
  columns: string[],
): Promise<RowSource> {
  switch (file.format) {
    case "csv":
      return readCsv(file.path, spec.csv);
    case "tsv":
      return readCsv(file.path, { delimiter: "\t", ...spec.csv });
    case "jsonl":
      return readJsonl(file.path);
    case "json":
      return readJsonArray(file.path);
    case "parquet":
      return readParquet(file.path, { columns });
    case "lines":
      return readLineFiles(file.path, source.labelsPath);
  }
}

/**
 * Default record ids are `<prefix>:<row>`, unique across the dataset's sources: a file's path without extensions,
 * relative to the folder all the files share ("amazon", or "german/test_text" next to "english/test_text"); a Hub
 * split's name when every Hub source is the same dataset ("train", then "train/0" for its first file), else the
 * dataset id with it ("org/name/train").
 */
export function defaultIdPrefixes(sources: SourceSpec[]): string[] {
  const withoutExtension = (path: string) => path.replace(/\.gz$/i, "").replace(/\.[^./\\]+$/, "");
  const stems = sources.map((s) => (s.path ? withoutExtension(s.path).split(/[\\/]/).filter(Boolean) : []));
  const local = stems.filter((parts) => parts.length > 0);
  let shared = 0; // leading folders every local file has in common
  while (local.length && local.every((p) => p.length - 1 > shared && p[shared] === local[0][shared])) shared++;
  const hubIds = new Set(sources.filter((s) => s.hub).map((s) => `${s.hub!.id}/${s.hub!.config ?? ""}`));
  return sources.map((source, i) => {
    if (!source.hub) return stems[i].slice(shared).join("/");
    const { id, config, split } = source.hub;
    return hubIds.size === 1 ? split : `${id}${config ? `/${config}` : ""}/${split}`;
  });
}

/** The format a file name implies (a `.gz` suffix is looked through). */
export function detectFormat(path: string): DatasetFormat {
  const extension = baseName(path).split(".").pop()!.toLowerCase();
  const byExtension: Record<string, DatasetFormat> = {
    csv: "csv",
    tsv: "tsv",
    tab: "tsv",
    jsonl: "jsonl",
    ndjson: "jsonl",
    json: "json",
    parquet: "parquet",
    txt: "lines",
  };
  const format = byExtension[extension];
  if (!format) {
    throw new ConfigError(
      `cannot tell the format of ${path} from its name; pass a format (one of: csv, tsv, jsonl, json, parquet, lines)`,
    );
  }
  return format;
}

function directoryOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? "." : path.slice(0, cut);
}
