/**
 * `@saeflow/io`: datasets in (CSV/TSV, JSONL, JSON arrays, parallel line files, Parquet, image folders, gzip of any,
 * Hugging Face Hub datasets), Parquet feature shards out and back, safetensors tensors (checkpoints, SAEs) in and out.
 *
 * @example
 * ```ts
 * import { openTextDataset } from "@saeflow/io";
 * const { records, bad } = await openTextDataset({
 *   sources: [{ path: "../shared/data/sst2/sst2_dev.tsv", split: "validation" }],
 *   fields: { text: "text", label: "label" },
 *   labels: ["negative", "positive"],
 * });
 * ```
 * @module
 */
export {
  type DatasetFormat,
  type DatasetSpec,
  defaultIdPrefixes,
  detectFormat,
  type HubSourceSpec,
  type OpenedDataset,
  openImageDataset,
  openTextDataset,
  type SourceSpec,
} from "./open_dataset.ts";
export type { FieldMapping } from "./record_fields.ts";
export { loadDatasetRegistry, type RegistryEntry } from "./dataset_registry.ts";
export { LabelMap, type LabelMapSpec } from "./label_map.ts";
export { type BadRecordMode, BadRecords } from "./bad_records.ts";
export { IdSet } from "./id_set.ts";
export type { RawRow } from "./raw_row.ts";
export type { RowSource } from "./row_source.ts";
export { type CsvOptions, readCsv } from "./formats/csv.ts";
export { readJsonl } from "./formats/jsonl.ts";
export { readJsonArray } from "./formats/json_array.ts";
export { readLineFiles } from "./formats/line_files.ts";
export { type ParquetReadOptions, readParquet } from "./formats/parquet.ts";
export { openFileBytes } from "./file_bytes.ts";
export { type AtomicWriteOptions, writeFileAtomic, writeJsonAtomic } from "./atomic_write.ts";
export { readJsonFile, statIfExists } from "./json_file.ts";
export { FileRange, openFileRange } from "./file_range.ts";
export { openParquetFile } from "./parquet_file.ts";
export { type HubOptions, resolveHubOptions } from "./hub/hub_options.ts";
export { HubAuthError, HubDownloadError, HubError, HubNotFoundError, HubOfflineError } from "./hub/hub_errors.ts";
export { hubFetch } from "./hub/hub_fetch.ts";
export { type DownloadOptions, downloadToCache } from "./hub/hub_download.ts";
export { cachedCommit, downloadModelFile, type ModelFileOptions } from "./hub/hub_model_file.ts";
export { checkHubName, HUB_ID, isHubId } from "./hub/hub_names.ts";
export { type HubDataset, type HubDatasetRef, resolveHubDataset } from "./hub/hub_dataset.ts";
export { type InvalidByte, Utf8CheckStream } from "./utf8_check.ts";
export { LineStream, type NumberedLine } from "./lines.ts";
export type { FeatureRow, ShardLayout } from "./shards/feature_row.ts";
export { decodeMetadata, METADATA_KEY, type ShardMetadata, type ShardProvenance } from "./shards/shard_metadata.ts";
export { MANIFEST_FILE, readManifest, type ShardEntry, type ShardManifest } from "./shards/manifest.ts";
export { ShardWriter, type ShardWriterOptions } from "./shards/shard_writer.ts";
export { loadShards, openShardSet, readShards, type ShardReadOptions, type ShardSet } from "./shards/shard_reader.ts";
export { DTYPE_BYTES, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from "./tensors/dtype.ts";
export {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from "./tensors/float16.ts";
export type { TensorEntry } from "./tensors/safetensors_header.ts";
export { SafetensorsFile } from "./tensors/safetensors_file.ts";
export { type TensorArray, type TensorToWrite, writeSafetensors } from "./tensors/safetensors_write.ts";
export { openSafetensorsCheckpoint, readCheckpointIndex, type TensorSource } from "./tensors/checkpoint.ts";
export { type SplitDraw, splitDraw } from "./split/split_hash.ts";
export {
  checkSplitOptions,
  MOSAIC_SPLIT,
  MOSAIC_SPLIT_WITH_VALIDATION,
  type SplitName,
  type SplitOptions,
} from "./split/split_options.ts";
export {
  assignSplit,
  recordSplit,
  type SplitRecord,
  stratifiedSplit,
  type StratifiedSplitOptions,
} from "./split/stratified_split.ts";
