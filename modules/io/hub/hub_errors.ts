/**
 * Typed errors of the Hub client. Each names the URL and, where known, the HTTP status, and says how to fix it.
 * @module
 */
import { SaeflowError } from "@saeflow/core";

/**
 * Base class of the Hub client's errors: catch it to handle any Hub failure.
 *
 * @example
 * ```ts
 * try {
 *   await resolveHubDataset({ id: "org/name", split: "train" });
 * } catch (error) {
 *   if (error instanceof HubError) console.error(`${error.message} (HTTP status: ${error.status ?? "none"})`);
 * }
 * ```
 */
export class HubError extends SaeflowError {
  override name = "HubError";
  constructor(message: string, readonly url?: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * HTTP 401 or 403: the repository is gated or private and the request had no token, or one without access.
 *
 * @example
 * ```ts
 * const err = new HubAuthError("https://huggingface.co/api/datasets/org/gated/parquet", 401, false, "https://huggingface.co/datasets/org/gated");
 * err.message; // "...: HTTP 401: the repository may be gated or private (no token was sent). Set HF_TOKEN ..."
 * ```
 */
export class HubAuthError extends HubError {
  override name = "HubAuthError";
  constructor(url: string, status: number, readonly tokenSent: boolean, repoUrl = "the repository's Hub page") {
    super(
      `${url}: HTTP ${status}: the repository may be gated or private (${
        tokenSent ? "the token that was sent has no access" : "no token was sent"
      }). Set HF_TOKEN to a token with read access and accept the terms at ${repoUrl}`,
      url,
      status,
    );
  }
}

/**
 * HTTP 404: no such repository, config, split or file.
 *
 * @example
 * ```ts
 * new HubNotFoundError("https://huggingface.co/api/datasets/org/typo/parquet", 'dataset "org/typo"').message;
 * // 'https://huggingface.co/api/datasets/org/typo/parquet: HTTP 404: dataset "org/typo" not found; check the name'
 * ```
 */
export class HubNotFoundError extends HubError {
  override name = "HubNotFoundError";
  constructor(url: string, what: string) {
    super(`${url}: HTTP 404: ${what} not found; check the name`, url, 404);
  }
}

/** Where an offline failure looked, for {@link HubOfflineError}. */
export interface HubOfflineContext {
  endpoint: string;
  /** The cache directory that was searched. */
  cacheDir: string;
  /** What was wanted, e.g. `the file datasets/org/name/default/train/0.parquet`. */
  what: string;
  url?: string;
}

/**
 * The Hub cannot be reached (network down, DNS failure, connection refused) or offline mode is on, and the cache
 * does not hold what was asked for.
 *
 * @example
 * ```ts
 * const where = { endpoint: "https://huggingface.co", cacheDir: "/home/me/.cache/saeflow", what: "the listing of org/name" };
 * new HubOfflineError("offline mode is on (HF_HUB_OFFLINE=1)", where).message;
 * // "cannot get the listing of org/name: offline mode is on (HF_HUB_OFFLINE=1), and the cache /home/me/.cache/saeflow ..."
 * ```
 */
export class HubOfflineError extends HubError {
  override name = "HubOfflineError";
  readonly endpoint: string;
  readonly cacheDir: string;
  constructor(reason: string, { endpoint, cacheDir, what, url }: HubOfflineContext, options?: ErrorOptions) {
    super(
      `cannot get ${what}: ${reason}, and the cache ${cacheDir} has no copy. To fix: go online (unset HF_HUB_OFFLINE) ` +
        `with ${endpoint} reachable, set HF_ENDPOINT to a reachable mirror, or populate the cache by one online run ` +
        `with the same cache dir (SAEFLOW_CACHE)`,
      url,
      undefined,
      options,
    );
    this.endpoint = endpoint;
    this.cacheDir = cacheDir;
  }
}

/**
 * A download that failed for good: an HTTP error other than 401/403/404 (after retries for 429 and 5xx), a body
 * still truncated after the retries, or a file whose size or sha256 is not the expected one.
 *
 * @example
 * ```ts
 * new HubDownloadError("https://cdn.example/0000.parquet", "HTTP 503 after 4 retries", 503).message;
 * // "https://cdn.example/0000.parquet: HTTP 503 after 4 retries"
 * ```
 */
export class HubDownloadError extends HubError {
  override name = "HubDownloadError";
  constructor(url: string, problem: string, status?: number, options?: ErrorOptions) {
    super(`${url}: ${problem}`, url, status, options);
  }
}
