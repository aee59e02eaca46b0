/**
 * A Hub dataset split as local Parquet files: the Hub's own Parquet conversion, listed through its API and
 * downloaded into the cache, so that a later run (offline too) finds everything there.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { downloadToCache } from "./hub_download.ts";
import type { HubFetchOptions } from "./hub_fetch.ts";
import { type HubOptions, resolveHubOptions } from "./hub_options.ts";
import { checkHubName, HUB_ID } from "./hub_names.ts";
import { cachedCommit } from "./hub_model_file.ts";

/** Which split of which dataset. */
export interface HubDatasetRef {
  /** `name` or `org/name`. */
  id: string;
  /** The config (subset); may be left out when the dataset has exactly one. */
  config?: string;
  split: string;
  /**
   * The commit (or its prefix) of the Parquet conversion the files must come from. The Hub serves only its latest
   * conversion, so this checks rather than selects: other files fail with a {@link ConfigError}.
   */
  revision?: string;
}

/** The split's local files, in order, and where they came from. */
export interface HubDataset {
  /** Absolute paths of the cached Parquet files. */
  files: string[];
  /** The config used (the only one when the ref named none). */
  config: string;
  /** The commit the files were served from (`X-Repo-Commit`), when the Hub said. */
  revision?: string;
  /** The Hub URL of each file. */
  urls: string[];
}

/** `GET {endpoint}/api/datasets/{id}/parquet`: config → split → URLs of the Parquet files. */
type ParquetListing = Record<string, Record<string, string[]>>;

/**
 * Lists the Parquet files of a dataset split on the Hub and downloads them into the cache (see
 * {@link downloadToCache}). The listing is cached too, at `datasets/{id}/_all/listing.json`, and the files at
 * `datasets/{id}/{config}/{split}/{n}.parquet`: a second call makes no request, and works offline.
 * Unknown configs and splits fail with a {@link ConfigError} listing the available ones.
 *
 * @example
 * ```ts
 * const { files, config } = await resolveHubDataset({ id: "stanfordnlp/imdb", split: "test" });
 * // config "plain_text"; files [".../datasets/stanfordnlp/imdb/plain_text/test/0.parquet", ...]
 * ```
 */
export async function resolveHubDataset(ref: HubDatasetRef, options: HubOptions = {}): Promise<HubDataset> {
  const { id, split } = ref;
  checkHubName("dataset id", id, HUB_ID, "name or org/name");
  checkHubName("split", split, /^[\w.-]+$/, "letters, digits, _ . -");
  const resolved = resolveHubOptions(options);
  const opts = { ...resolved, repoUrl: `${resolved.endpoint}/datasets/${id}` };
  const listing = await readListing(id, opts);
  const configs = Object.keys(listing);
  const config = ref.config ?? (configs.length === 1 ? configs[0] : undefined);
  if (config === undefined) {
    throw new ConfigError(`dataset "${id}" has ${configs.length} configs; choose one of: ${configs.join(", ")}`);
  }
  if (!Object.hasOwn(listing, config)) {
    throw new ConfigError(`dataset "${id}" has no config "${config}"; its configs: ${configs.join(", ")}`);
  }
  checkHubName("config", config, /^[\w.-]+$/, "letters, digits, _ . -");
  const splits = listing[config];
  if (!Object.hasOwn(splits, split)) {
    const names = Object.keys(splits).join(", ");
    throw new ConfigError(`dataset "${id}" config "${config}" has no split "${split}"; its splits: ${names}`);
  }
  const urls = splits[split];
  const files: string[] = [];
  for (const [n, url] of urls.entries()) {
    const what = `file ${n} of dataset "${id}" ${config}/${split}`;
    files.push(await downloadToCache(url, `datasets/${id}/${config}/${split}/${n}.parquet`, { ...opts, what }));
  }
  const revision = files.length > 0 ? await cachedCommit(files[0]) : undefined;
  if (ref.revision && revision && !revision.startsWith(ref.revision)) {
    throw new ConfigError(
      `dataset "${id}": the cached or served Parquet files are at commit ${revision}, not ${ref.revision}; ` +
        `the Hub serves only its latest conversion (delete ${opts.cacheDir}/datasets/${id} to fetch it again)`,
    );
  }
  return { files, config, revision, urls };
}

/** The cached listing, fetched first when missing. A listing of the wrong shape is deleted, so a rerun refetches. */
async function readListing(id: string, opts: HubFetchOptions & { endpoint: string }): Promise<ParquetListing> {
  const url = `${opts.endpoint}/api/datasets/${id}/parquet`;
  const what = `the Parquet listing of dataset "${id}"`;
  const path = await downloadToCache(url, `datasets/${id}/_all/listing.json`, { ...opts, what });
  let listing: unknown;
  try {
    listing = JSON.parse(await Deno.readTextFile(path));
  } catch { /* reported below */ }
  const isList = (urls: unknown) => Array.isArray(urls) && urls.every((u) => typeof u === "string");
  const isSplits = (s: unknown) => isObject(s) && Object.values(s).every(isList);
  if (isObject(listing) && Object.values(listing).every(isSplits)) return listing as ParquetListing;
  await Deno.remove(path);
  throw new DataError(path, {}, `${url} did not answer a Parquet listing`, "JSON {config: {split: [url, ...]}}");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
