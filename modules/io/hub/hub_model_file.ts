/**
 * One file of a Hub model repository (`{endpoint}/{id}/resolve/{revision}/{file}`), through the download cache.
 * Files a repository may lack (a sharded checkpoint's index, `special_tokens_map.json`) are asked for once: a 404 is
 * remembered beside the cache entry, so later (offline) runs know the file is absent rather than failing.
 * @module
 */
import { dirname, resolve } from "node:path";
import { downloadToCache } from "./hub_download.ts";
import { HubNotFoundError, HubOfflineError } from "./hub_errors.ts";
import { type HubOptions, resolveHubOptions } from "./hub_options.ts";
import { readJsonFile, statIfExists } from "../json_file.ts";
import { checkHubName, HUB_ID } from "./hub_names.ts";

/** Options for {@link downloadModelFile}. */
export interface ModelFileOptions {
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  hub?: HubOptions;
  /** Return undefined (instead of failing) when the repository has no such file, or when offline and not cached. */
  optional?: boolean;
  /** Size in bytes the file must have. */
  expectedSize?: number;
  /** Hex sha256 the file must have. */
  sha256?: string;
  /** What the file is, for messages (default: `{file} of model "{id}" (revision …)`). */
  what?: string;
}

/**
 * Returns the local path of `file` from Hub model `id`, downloading it into the cache first if needed.
 *
 * @example
 * ```ts
 * const config = await downloadModelFile("google/gemma-2-2b", "config.json", { hub: { token: "hf_..." } });
 * ```
 */
export async function downloadModelFile(
  id: string,
  file: string,
  options: ModelFileOptions = {},
): Promise<string | undefined> {
  const { revision = "main", optional = false } = options;
  const opts = resolveHubOptions(options.hub);
  checkHubName("model id", id, HUB_ID, "name or org/name");
  checkHubName("revision", revision, /^[\w.-]+(\/[\w.-]+)*$/, "a branch, tag or commit name");
  const relative = `models/${id}/${revision}/${file}`;
  const absent = resolve(opts.cacheDir, `${relative}.absent`);
  if (optional && await statIfExists(absent)) return undefined;
  const url = `${opts.endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
  try {
    return await downloadToCache(url, relative, {
      ...opts,
      what: options.what ?? `${file} of model "${id}" (revision ${revision})`,
      expectedSize: options.expectedSize,
      sha256: options.sha256,
      repoUrl: `${opts.endpoint}/${id}`,
    });
  } catch (error) {
    if (!optional) throw error;
    // Remembered like every cached file: the cache is a snapshot of the revision as first seen (refresh: delete it).
    if (error instanceof HubNotFoundError) {
      await Deno.mkdir(dirname(absent), { recursive: true });
      await Deno.writeTextFile(absent, `${url}\n`);
      return undefined;
    }
    if (error instanceof HubOfflineError) return undefined;
    throw error;
  }
}

/** The commit the Hub served a cached file from (its download record's `X-Repo-Commit`), when recorded. */
export async function cachedCommit(path: string): Promise<string | undefined> {
  const record = await readJsonFile<{ commit?: unknown }>(`${path}.json`, "a download record");
  return typeof record?.commit === "string" ? record.commit : undefined;
}
