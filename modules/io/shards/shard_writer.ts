/**
 * The shard sink: feature rows in, Parquet shards of N records out, ZSTD-compressed, with provenance metadata.
 * Atomic (a shard is visible only when complete) and resumable (a rerun skips the records of finished shards).
 * @module
 */
import { Compression, WriterPropertiesBuilder } from "parquet-wasm";
import { openParquetFile } from "../parquet_file.ts";
import { ConfigError, DataError, SAEFLOW_VERSION } from "@saeflow/core";
import { DirectoryLock } from "./directory_lock.ts";
import type { FeatureRow, ShardLayout } from "./feature_row.ts";
import { toRecordBatch, validateRow } from "./feature_batch.ts";
import { readManifest, type ShardEntry, type ShardManifest, writeManifest } from "./manifest.ts";
import { ShardFile } from "./shard_file.ts";
import { decodeMetadata, encodeMetadata, type ShardMetadata } from "./shard_metadata.ts";
import { tableFromIPC } from "@uwdata/flechette";

/** Options for {@link ShardWriter.open}. */
export interface ShardWriterOptions {
  /** Directory of the shard set (created if missing). */
  dir: string;
  /** Records per shard file. */
  shardSize: number;
  /** Records per Parquet row group (default min(shardSize, 1024)): the unit of reading and of writer memory. */
  rowGroupSize?: number;
  layout: ShardLayout;
  metadata: ShardMetadata;
}

const SHARD_NAME = /^part-(\d{5})\.parquet$/;
/** Temp files of our own writes (a shard or the manifest in progress); nothing else in the directory is touched. */
const STALE_TEMP = /^\.(part-\d{5}\.parquet|_manifest\.json)\.tmp$/;
const shardName = (index: number) => `part-${String(index).padStart(5, "0")}.parquet`;

/**
 * Opens (or resumes) a shard directory.
 *
 * @example
 * ```ts
 * const writer = await ShardWriter.open({ dir: "out/sae", shardSize: 1000, layout: { sparse: "values" }, metadata: { configHash } });
 * await records.pipeThrough(writer.skipCompleted((r) => r.id)).pipeThrough(expensiveStages).pipeTo(writer.writable);
 * ```
 */
export class ShardWriter {
  /** The stream to write rows to, starting with record number `completedRecords`. */
  readonly writable: WritableStream<FeatureRow>;
  readonly #extra: Record<string, unknown> = {};

  private constructor(
    private readonly options: Required<ShardWriterOptions>,
    private readonly shards: ShardEntry[],
    private readonly classCounts: Record<string, Record<string, number>>,
    /** Id of the last record in the finished shards. */
    private readonly lastId: string | undefined,
    /** True when a previous run finished this directory. */
    readonly wasComplete: boolean,
    private readonly lock: DirectoryLock,
  ) {
    this.writable = this.#createWritable();
  }

  /** Records already in finished shards: the upstream stream must skip this many. */
  get completedRecords(): number {
    return this.shards.reduce((sum, s) => sum + s.records, 0);
  }

  /** Adds an entry to the manifest's `extra` (dataset description, skipped-record tally, ...). */
  annotate(key: string, value: unknown): void {
    this.#extra[key] = value;
  }

  /** The manifest as it stands (final once `writable` has closed). */
  manifest(complete = false): ShardManifest {
    const { metadata, layout, shardSize } = this.options;
    return {
      saeflowVersion: SAEFLOW_VERSION,
      configHash: metadata.configHash,
      metadata,
      layout,
      shardSize,
      complete,
      records: this.completedRecords,
      shards: this.shards,
      classCounts: this.classCounts,
      extra: this.#extra,
    };
  }

  static async open(options: ShardWriterOptions): Promise<ShardWriter> {
    const { dir, shardSize, metadata } = options;
    if (!(Number.isInteger(shardSize) && shardSize > 0)) {
      throw new RangeError(`shardSize must be a positive integer, got ${shardSize}`);
    }
    if (!metadata.configHash) throw new ConfigError("shard metadata needs a configHash");
    await Deno.mkdir(dir, { recursive: true });
    const lock = await DirectoryLock.acquire(dir);
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (STALE_TEMP.test(entry.name)) await Deno.remove(`${dir}/${entry.name}`); // left by a killed run
      }
      const previous = await readManifest(dir).catch((error) => {
        if (error instanceof DataError) return undefined; // unreadable: rebuilt from the shards, which carry provenance
        throw error;
      });
      if (previous && previous.configHash !== metadata.configHash) {
        throw new ConfigError(
          `${dir} holds shards of another configuration (${previous.configHash}); this run is ${metadata.configHash}. ` +
            "Write to a new directory, or delete that one to start over.",
        );
      }
      const { shards, classCounts, lastId } = await finishedShards(dir, options);
      const wasComplete = previous?.complete === true && shards.length === previous.shards.length;
      const full = { rowGroupSize: Math.min(shardSize, 1024), ...options };
      return new ShardWriter(full, shards, classCounts, lastId, wasComplete, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Drops the records the finished shards already hold, checking that the last one dropped is the record the
   * shards end with: a changed or reordered input must not be resumed into a mixed shard set. Put it before the
   * expensive stages, so that a resumed run does not recompute what is already written. `startsAt`: how many
   * records the stream has already left out (several writers fed by one stream resume from the least complete).
   */
  skipCompleted<T>(idOf: (item: T) => string, { startsAt = 0 }: { startsAt?: number } = {}): TransformStream<T, T> {
    const { completedRecords, lastId } = this;
    const dir = this.options.dir;
    if (!(Number.isInteger(startsAt) && startsAt >= 0 && startsAt <= completedRecords)) {
      throw new RangeError(`${dir}: startsAt must be in [0, ${completedRecords}], got ${startsAt}`);
    }
    let seen = startsAt;
    return new TransformStream({
      transform(item, controller) {
        if (++seen > completedRecords) return controller.enqueue(item);
        if (seen === completedRecords && idOf(item) !== lastId) {
          throw new ConfigError(
            `the input changed since ${dir} was written: record ${seen} is ${JSON.stringify(idOf(item))} now but ` +
              `${JSON.stringify(lastId)} in the shards. Write to a new directory, or delete that one to start over.`,
          );
        }
      },
      flush() {
        if (seen < completedRecords) {
          throw new ConfigError(
            `the input has ${seen} records but ${dir} already holds ${completedRecords}: it changed`,
          );
        }
      },
    });
  }

  /** Lets another writer open the directory (done by closing or aborting `writable`, or a failure in it). */
  release(): void {
    this.lock.release();
  }

  #createWritable(): WritableStream<FeatureRow> {
    const { dir, shardSize, rowGroupSize, layout, metadata } = this.options;
    const properties = () =>
      new WriterPropertiesBuilder()
        .setCompression(Compression.ZSTD)
        .setMaxRowGroupSize(rowGroupSize)
        .setKeyValueMetadata(encodeMetadata(metadata, layout))
        .setCreatedBy(`saeflow version ${SAEFLOW_VERSION}`)
        .build();
    let shard: ShardFile | undefined;
    let inShard = 0;
    let group: FeatureRow[] = [];
    // A short last shard from a previous run can only be the end of the input: nothing may follow it.
    const lastShort = this.shards.length > 0 && this.shards.at(-1)!.records < shardSize;

    const flushGroup = async () => {
      if (group.length === 0) return;
      const batch = toRecordBatch(group, layout);
      group = [];
      if (shard) await shard.append(batch);
      else shard = await ShardFile.create(`${dir}/${shardName(this.shards.length)}`, properties(), batch);
    };
    const commitShard = async () => {
      await flushGroup();
      if (!shard) return;
      const bytes = await shard.commit();
      this.shards.push({ file: shardName(this.shards.length), records: inShard, bytes });
      shard = undefined;
      inShard = 0;
      await writeManifest(dir, this.manifest(false));
    };

    // A failure inside the sink (a row that does not fit, the encoder, the disk) discards the shard in flight just as
    // an abort from upstream does: no temp file, no open handle, no encoder left behind.
    const failing = (work: () => Promise<void>) => async () => {
      try {
        await work();
      } catch (error) {
        await shard?.discard();
        shard = undefined;
        this.release();
        throw error;
      }
    };
    return new WritableStream<FeatureRow>({
      write: (row) =>
        failing(async () => {
          if (lastShort) {
            throw new ConfigError(`${dir} is already complete (its last shard is short); nothing can be appended`);
          }
          validateRow(row, layout, `${dir}/${shardName(this.shards.length)}`);
          group.push(row);
          count(this.classCounts, row.split, row.label);
          inShard++;
          if (group.length === rowGroupSize) await flushGroup();
          if (inShard === shardSize) await commitShard();
        })(),
      close: failing(async () => {
        await commitShard();
        await writeManifest(dir, this.manifest(true));
        this.release();
      }),
      abort: async () => {
        await shard?.discard();
        this.release();
      },
    });
  }
}

/** The finished shards of a directory, checked, with their class counts and the id they end with. */
async function finishedShards(dir: string, { shardSize, metadata }: ShardWriterOptions) {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (SHARD_NAME.test(entry.name)) names.push(entry.name);
  names.sort();
  const shards: ShardEntry[] = [];
  const classCounts: Record<string, Record<string, number>> = {};
  let lastId: string | undefined;
  for (const [index, name] of names.entries()) {
    if (name !== shardName(index)) throw new ConfigError(`${dir}: shard ${shardName(index)} is missing before ${name}`);
    const path = `${dir}/${name}`;
    const { records, rows } = await readFinishedShard(path, metadata.configHash);
    if (index < names.length - 1 && records !== shardSize) {
      throw new ConfigError(
        `${path} holds ${records} records but this run writes shards of ${shardSize}; use the shard size of the first run`,
      );
    }
    for (const { id, split, label } of rows) {
      count(classCounts, split, label);
      lastId = id as string;
    }
    shards.push({ file: name, records, bytes: (await Deno.stat(path)).size });
  }
  return { shards, classCounts, lastId };
}

/** Opens a finished shard once: checks its provenance, and reads its record count and the columns resume needs. */
async function readFinishedShard(path: string, configHash: string) {
  using file = await openParquetFile(path, "a complete shard written by saeflow (delete it to rewrite it)");
  const meta = file.metadata().fileMetadata();
  const decoded = decodeMetadata(meta.keyValueMetadata());
  if (decoded?.configHash !== configHash) {
    throw new ConfigError(
      `${path} was written by configuration ${decoded?.configHash ?? "unknown"}, not ${configHash}`,
    );
  }
  const rows: Record<string, unknown>[] = [];
  for await (const batch of await file.stream({ columns: ["id", "split", "label"] })) {
    rows.push(...tableFromIPC(batch.intoIPCStream()).toArray());
  }
  return { records: meta.numRows(), rows };
}

function count(counts: Record<string, Record<string, number>>, split: unknown, label: unknown): void {
  const bySplit = (counts[String(split ?? "")] ??= {});
  const key = String(label ?? "");
  bySplit[key] = (bySplit[key] ?? 0) + 1;
}
