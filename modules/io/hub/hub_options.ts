/**
 * Settings of the Hugging Face Hub client, with defaults taken from the same environment variables as the Python
 * `huggingface_hub` library, so an existing setup (token, mirror, offline mode) carries over.
 * @module
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** Options of every Hub call. Each one left out is filled by {@link resolveHubOptions}. */
export interface HubOptions {
  /** Hub base URL; default `HF_ENDPOINT`, else `https://huggingface.co`. */
  endpoint?: string;
  /** Access token; default `HF_TOKEN`, else the file `$HF_HOME/token`. An empty string sends no token. */
  token?: string;
  /** Where downloads are kept; default `SAEFLOW_CACHE`, else `$XDG_CACHE_HOME/saeflow`, else `~/.cache/saeflow`. */
  cacheDir?: string;
  /** Use the cache only, never the network; default true when `HF_HUB_OFFLINE` is `1` (or true/yes/on). */
  offline?: boolean;
  /** How many times a failed request or a truncated download is retried; default 4. */
  retries?: number;
  /** Delay before the first retry, doubled at each further one; default 500 ms. */
  backoffMs?: number;
  /** The fetch to use (tests inject one); default the global `fetch`. */
  fetch?: typeof fetch;
  /** Where retries are reported; default stderr. */
  log?: (line: string) => void;
}

/** Hub options with every default filled in; `token` is empty when there is none. */
export type ResolvedHubOptions = Required<HubOptions>;

/**
 * Fills the options left out from the environment (see {@link HubOptions} for each default).
 *
 * @example
 * ```ts
 * const { endpoint, cacheDir } = resolveHubOptions({ offline: true });
 * endpoint; // "https://huggingface.co" unless HF_ENDPOINT says otherwise
 * ```
 */
export function resolveHubOptions(options: HubOptions = {}): ResolvedHubOptions {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const xdgCache = env("XDG_CACHE_HOME") ?? join(homedir(), ".cache");
  return {
    endpoint: (options.endpoint ?? env("HF_ENDPOINT") ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: options.token ?? env("HF_TOKEN") ?? readTokenFile(env("HF_HOME") ?? join(xdgCache, "huggingface")),
    cacheDir: options.cacheDir ?? env("SAEFLOW_CACHE") ?? join(xdgCache, "saeflow"),
    offline: options.offline ?? /^(1|true|yes|on)$/i.test(env("HF_HUB_OFFLINE") ?? ""),
    retries: options.retries ?? 4,
    backoffMs: options.backoffMs ?? 500,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    log: options.log ?? ((line) => console.error(line)),
  };
}

/** The token `huggingface-cli login` saved, if any. */
function readTokenFile(hfHome: string): string {
  try {
    return Deno.readTextFileSync(join(hfHome, "token")).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}
