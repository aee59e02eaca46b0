/**
 * One HTTP request to the Hub: the token sent to the Hub only, redirects followed by hand, transient failures
 * retried with backoff, and the failures that retrying cannot fix thrown at once as typed errors.
 * @module
 */
import { HubAuthError, HubDownloadError, HubNotFoundError, HubOfflineError } from "./hub_errors.ts";
import { type HubOptions, type ResolvedHubOptions, resolveHubOptions } from "./hub_options.ts";

/** What a request is for, so that its errors can say so. */
export interface HubFetchOptions extends HubOptions {
  /** Named in not-found and offline errors, e.g. `the Parquet listing of dataset "org/name"`. */
  what?: string;
  /** The repository's web page, where a gated repository's terms are accepted; named in auth errors. */
  repoUrl?: string;
}

/** A successful (2xx) response, with what the redirect chain told on the way. */
export interface HubResponse {
  response: Response;
  /** The URL that answered, after redirects. */
  url: string;
  /** The `X-Repo-Commit` header of the last hop that had one: the commit the file was served from. */
  commit?: string;
}

const MAX_REDIRECTS = 5;

/**
 * Fetches `url`, adding `Authorization: Bearer <token>` on the endpoint's origin only (never on a redirect to a CDN),
 * following up to 5 redirects, and retrying network errors, 429 (after its `Retry-After`) and 5xx with exponential
 * backoff. Throws {@link HubAuthError} (401/403) and {@link HubNotFoundError} (404) without retrying,
 * {@link HubOfflineError} when the network stays unreachable, {@link HubDownloadError} for any other failure.
 *
 * @example
 * ```ts
 * const { response } = await hubFetch("https://huggingface.co/api/datasets/stanfordnlp/imdb/parquet", {}, { retries: 2 });
 * const listing = await response.json();
 * ```
 */
export async function hubFetch(
  url: string,
  init: RequestInit = {},
  options: HubFetchOptions = {},
): Promise<HubResponse> {
  const opts = resolveHubOptions(options);
  new URL(url); // a malformed URL fails here, not as a "network error" retried below
  for (let attempt = 1;; attempt++) {
    let result: HubResponse;
    try {
      result = await followRedirects(url, init, opts);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // fetch rejects with TypeError for network failures only
      if (attempt > opts.retries) {
        const where = { endpoint: opts.endpoint, cacheDir: opts.cacheDir, what: options.what ?? url, url };
        throw new HubOfflineError(`the network failed (${error.message})`, where, { cause: error });
      }
      await backOff(opts, attempt, `${url}: ${error.message}`);
      continue;
    }
    const { response, url: at } = result;
    if (response.ok) return result;
    await response.body?.cancel();
    const { status } = response;
    if ((status === 401 || status === 403) && onEndpoint(at, opts)) {
      throw new HubAuthError(at, status, sendsToken(at, opts), options.repoUrl);
    }
    if (status === 404) throw new HubNotFoundError(at, options.what ?? "the requested file");
    const transient = status === 429 || status >= 500;
    if (!transient || attempt > opts.retries) {
      const problem = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`;
      throw new HubDownloadError(at, transient ? `${problem} after ${opts.retries} retries` : problem, status);
    }
    await backOff(opts, attempt, `${at}: HTTP ${status}`, retryAfterMs(response));
  }
}

/**
 * Logs a retry and waits before it: `backoffMs` doubled at each attempt (1-based), plus up to 25% jitter so that
 * parallel clients do not retry in step, unless the server said how long to wait (`delayMs`).
 *
 * @example
 * ```ts
 * await backOff(resolveHubOptions({ backoffMs: 100 }), 3, "https://huggingface.co/x: HTTP 503"); // about 400 ms
 * // logs "hub: https://huggingface.co/x: HTTP 503; retry 3/4 in 4xx ms"
 * ```
 */
export async function backOff(
  opts: ResolvedHubOptions,
  attempt: number,
  reason: string,
  delayMs?: number,
): Promise<void> {
  const ms = Math.round(delayMs ?? opts.backoffMs * 2 ** (attempt - 1) * (1 + Math.random() / 4));
  opts.log(`hub: ${reason}; retry ${attempt}/${opts.retries} in ${ms} ms`);
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function followRedirects(url: string, init: RequestInit, opts: ResolvedHubOptions): Promise<HubResponse> {
  let commit: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = new Headers(init.headers);
    if (sendsToken(url, opts)) headers.set("authorization", `Bearer ${opts.token}`);
    else headers.delete("authorization");
    const response = await opts.fetch(url, { ...init, headers, redirect: "manual" });
    commit = response.headers.get("x-repo-commit") ?? commit;
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return { response, url, commit };
    await response.body?.cancel();
    url = new URL(location, url).href;
  }
  throw new HubDownloadError(url, `more than ${MAX_REDIRECTS} redirects`);
}

/** The token goes to the Hub itself only: a CDN or any other host it redirects to must not see it. */
function sendsToken(url: string, opts: ResolvedHubOptions): boolean {
  return opts.token !== "" && onEndpoint(url, opts);
}

/** A refusal from the Hub means "gated or private"; one from a CDN it redirected to (an expired signed URL, say)
 * does not, and is reported as a failed download. */
function onEndpoint(url: string, opts: ResolvedHubOptions): boolean {
  return new URL(url).origin === new URL(opts.endpoint).origin;
}

/** `Retry-After` in seconds (the Hub's form); the HTTP-date form falls back to our own backoff. */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get("retry-after") ?? NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
