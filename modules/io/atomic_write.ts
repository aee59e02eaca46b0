/**
 * Writing a whole file so that it appears complete or not at all: temp file beside it, fsync, rename. A reader (or
 * a resumed run) never sees half a manifest or half a checkpoint, even after a kill.
 * @module
 */

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** The temp file to use (default: a hidden, randomly named file beside `path`); a fixed name means a killed write
   * leaves at most one stale temp, overwritten next time. */
  tempPath?: string;
}

/**
 * Writes `chunks` to `path` atomically. On failure the temp file is removed and `path` is untouched.
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/_manifest.json", [new TextEncoder().encode("{}\n")]);
 * ```
 */
export async function writeFileAtomic(
  path: string,
  chunks: readonly Uint8Array[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const temp = options.tempPath ??
    `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    {
      using file = await Deno.open(temp, { write: true, create: true, truncate: true });
      for (const bytes of chunks) {
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      }
      await file.sync();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Writes `value` to `path` as pretty JSON (two-space indent, final newline), atomically: how saeflow writes its
 * summaries, manifests and configs.
 *
 * @example
 * ```ts
 * await writeJsonAtomic("out/_train.json", { steps: 3000 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, [new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n")], options);
}
