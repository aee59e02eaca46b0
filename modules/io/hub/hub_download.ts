/**
 * Downloading a Hub file into the local cache: resumable, streamed to disk, verified, and served from the cache
 * without any network call once there (which is what makes offline runs work).
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError } from "@saeflow/core";
import { HubDownloadError, HubOfflineError } from "./hub_errors.ts";
import { backOff, hubFetch, type HubFetchOptions, type HubResponse } from "./hub_fetch.ts";
import { type ResolvedHubOptions, resolveHubOptions } from "./hub_options.ts";

/** Hub options plus what the downloaded file must be. */
export interface DownloadOptions extends HubFetchOptions {
  /** Size in bytes the file must have. */
  expectedSize?: number;
  /** Hex sha256 the file must have. */
  sha256?: string;
}

/** What the sidecar `<file>.json` records about a download. */
export interface DownloadRecord {
  url: string;
  size: number;
  etag?: string;
  /** The `X-Repo-Commit` the Hub served the file from. */
  commit?: string;
  /** ISO 8601 time of the download. */
  downloadedAt: string;
}

/**
 * Returns the absolute path of `relativeCachePath` under the cache dir, downloading `url` there first unless the file
 * is already cached (and matches `expectedSize` / `sha256` when given). The body streams into `<path>.incomplete`,
 * which a later call resumes with a `Range` request; a truncated body is resumed up to `retries` times. The finished
 * file is verified, described in a sidecar `<path>.json` ({@link DownloadRecord}) and renamed into place.
 *
 * @example
 * ```ts
 * const path = await downloadToCache(
 *   "https://huggingface.co/api/datasets/stanfordnlp/imdb/parquet/plain_text/test/0.parquet",
 *   "datasets/stanfordnlp/imdb/plain_text/test/0.parquet",
 * );
 * ```
 */
export async function downloadToCache(
  url: string,
  relativeCachePath: string,
  options: DownloadOptions = {},
): Promise<string> {
  const opts = { ...options, ...resolveHubOptions(options) };
  if (isAbsolute(relativeCachePath) || relativeCachePath.split(/[\\/]/).includes("..")) {
    throw new ConfigError(`cache path "${relativeCachePath}" must be relative and stay inside ${opts.cacheDir}`);
  }
  const path = resolve(opts.cacheDir, relativeCachePath);
  if (await isCached(path, opts)) return path;
  if (opts.offline) {
    const where = { endpoint: opts.endpoint, cacheDir: opts.cacheDir, what: opts.what ?? relativeCachePath, url };
    throw new HubOfflineError("offline mode is on (HF_HUB_OFFLINE=1 or offline: true)", where);
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  const partial = `${path}.incomplete`;
  const { response, commit } = await fetchResuming(url, partial, opts);
  const problem = await mismatch(partial, opts);
  if (problem) {
    await Deno.remove(partial); // resuming a wrong file cannot fix it
    throw new HubDownloadError(url, `${problem}; the download was deleted`);
  }
  const record: DownloadRecord = {
    url,
    size: (await Deno.stat(partial)).size,
    etag: response.headers.get("etag") ?? undefined,
    commit,
    downloadedAt: new Date().toISOString(),
  };
  await Deno.writeTextFile(`${path}.json`, JSON.stringify(record, null, 2) + "\n");
  await Deno.rename(partial, path);
  return path;
}

async function isCached(path: string, opts: DownloadOptions & ResolvedHubOptions): Promise<boolean> {
  let problem: string | undefined;
  try {
    problem = await mismatch(path, opts);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  if (problem) opts.log(`hub: cached ${path}: ${problem}; downloading it again`);
  return problem === undefined;
}

/** Streams the body into `partial` until it holds the whole file, resuming after truncated bodies. */
async function fetchResuming(url: string, partial: string, opts: DownloadOptions & ResolvedHubOptions) {
  let problem = "";
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) await backOff(opts, attempt, `${url}: ${problem}`);
    const offset = await sizeOf(partial);
    // identity: Content-Length and Range must count the bytes we store, not compressed ones
    const headers: HeadersInit = { "accept-encoding": "identity", ...(offset > 0 && { range: `bytes=${offset}-` }) };
    let got: HubResponse;
    try {
      got = await hubFetch(url, { headers }, opts);
    } catch (error) {
      if (!(error instanceof HubDownloadError && error.status === 416 && offset > 0)) throw error;
      await restart(partial); // the remote file is no longer than our partial one: it changed
      problem = "the partial download does not fit the remote file";
      continue;
    }
    const { response } = got;
    const range = response.status === 206 ? parseContentRange(response.headers.get("content-range")) : undefined;
    if (response.status === 206 && range?.start !== offset) {
      await response.body?.cancel();
      await restart(partial);
      problem = `asked for bytes from ${offset}, got ${response.headers.get("content-range")}`;
      continue;
    }
    // A 200 (the server ignored Range, or there was nothing to resume) restarts the file from zero.
    const complete = await writeBody(response.body, partial, range !== undefined);
    const total = range ? range.total : contentLength(response);
    const size = await sizeOf(partial);
    if (size === total || (total === undefined && complete)) return got;
    problem = `body truncated at byte ${size} of ${total ?? "an unknown size"}`;
    if (total !== undefined && size > total) {
      await restart(partial);
      problem = `received ${size} bytes, more than the ${total} announced`;
    }
  }
  throw new HubDownloadError(url, `${problem} after ${opts.retries} retries (kept ${partial} to resume from)`);
}

/**
 * Streams the body into the file (appending or from zero), chunk by chunk. Returns false when the connection broke
 * before the end of the body; what arrived until then is on disk, to be resumed.
 */
async function writeBody(body: ReadableStream<Uint8Array> | null, path: string, append: boolean): Promise<boolean> {
  using file = await Deno.open(path, append ? { append, create: true } : { write: true, create: true, truncate: true });
  try {
    for await (const chunk of body ?? []) {
      for (let written = 0; written < chunk.length;) written += await file.write(chunk.subarray(written));
    }
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false; // fetch's error for a broken connection; a disk error is rethrown
    throw error;
  }
}

/** Why the file is not the expected one, or undefined when it is (or nothing is expected). */
async function mismatch(path: string, { expectedSize, sha256 }: DownloadOptions): Promise<string | undefined> {
  const { size } = await Deno.stat(path);
  if (expectedSize !== undefined && size !== expectedSize) return `size is ${size} bytes, expected ${expectedSize}`;
  if (sha256 === undefined) return undefined;
  const hash = createHash("sha256");
  for await (const chunk of (await Deno.open(path)).readable) hash.update(chunk);
  const actual = hash.digest("hex");
  return actual === sha256.toLowerCase() ? undefined : `sha256 is ${actual}, expected ${sha256}`;
}

/** Empties the partial file, so that the next attempt downloads from byte 0. */
function restart(partial: string): Promise<void> {
  return Deno.writeFile(partial, new Uint8Array());
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get("content-length");
  return header === null ? undefined : Number(header);
}

/** `bytes 100-199/200` → start 100, total 200 (undefined when the total is `*`). */
function parseContentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = header?.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  return match ? { start: Number(match[1]), total: match[2] === "*" ? undefined : Number(match[2]) } : undefined;
}
