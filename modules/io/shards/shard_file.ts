/**
 * One Parquet shard being written: record batches stream through parquet-wasm's writer into a hidden temp file,
 * one row group at a time, and the file appears under its final name only when complete (fsync + rename).
 * @module
 */
import { type RecordBatch, transformParquetStream, type WriterProperties } from "parquet-wasm";

/**
 * @example
 * ```ts
 * const shard = await ShardFile.create("out/part-00000.parquet", properties, firstBatch);
 * await shard.append(nextBatch);   // one row group each
 * const bytes = await shard.commit();
 * ```
 */
export class ShardFile {
  #controller!: ReadableStreamDefaultController<RecordBatch>;
  #pulled: (() => void) | undefined;
  #draining!: Promise<number>;
  #file!: Deno.FsFile;

  private constructor(readonly finalPath: string, readonly tempPath: string) {}

  /**
   * Opens the temp file next to `finalPath` and starts the encoder with the shard's first row group (the encoder
   * reads the schema from it before it starts).
   */
  static async create(finalPath: string, properties: WriterProperties, first: RecordBatch): Promise<ShardFile> {
    const slash = finalPath.lastIndexOf("/");
    const shard = new ShardFile(finalPath, `${finalPath.slice(0, slash + 1)}.${finalPath.slice(slash + 1)}.tmp`);
    shard.#file = await Deno.open(shard.tempPath, { write: true, create: true, truncate: true });
    const batches = new ReadableStream<RecordBatch>({
      start: (controller) => void (shard.#controller = controller),
      pull: () => shard.#pulled?.(),
    }, { highWaterMark: 0 });
    try {
      const taken = shard.#enqueue(first);
      const bytes = await transformParquetStream(batches, properties);
      shard.#draining = (async () => {
        let written = 0;
        for await (const chunk of bytes as ReadableStream<Uint8Array>) {
          for (let at = 0; at < chunk.length;) at += await shard.#file.write(chunk.subarray(at));
          written += chunk.length;
        }
        return written;
      })();
      await Promise.race([taken, shard.#draining]);
    } catch (error) {
      shard.#draining ??= Promise.resolve(0);
      await shard.discard();
      throw error;
    }
    return shard;
  }

  /** Hands one record batch (a row group) to the encoder and waits until it has taken it (backpressure). */
  async append(batch: RecordBatch): Promise<void> {
    await Promise.race([this.#enqueue(batch), this.#draining]);
  }

  /** Enqueues a batch; resolves when the encoder asks for the next one, i.e. has consumed this one. */
  #enqueue(batch: RecordBatch): Promise<void> {
    const taken = new Promise<void>((resolve) => (this.#pulled = resolve));
    this.#controller.enqueue(batch);
    return taken;
  }

  /** Finishes the file, syncs it to disk and renames it into place. Returns its size in bytes. */
  async commit(): Promise<number> {
    this.#controller.close();
    const bytes = await this.#draining;
    await this.#file.sync();
    this.#file.close();
    await Deno.rename(this.tempPath, this.finalPath);
    return bytes;
  }

  /** Abandons the shard: stops the encoder and deletes the temp file. */
  async discard(): Promise<void> {
    try {
      this.#controller.error(new Error("shard discarded"));
    } catch { /* already closed */ }
    await this.#draining.catch(() => {});
    try {
      this.#file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.tempPath).catch(() => {});
  }
}
