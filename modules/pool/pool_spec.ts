/**
 * Pool specs: how a record's per-token SAE features become one vector, which tokens take part, and the name that
 * says so in shard metadata.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** Every pooling strategy, in the order the CLI lists them. */
export const POOL_STRATEGIES = ["sum", "topn-count", "mean", "max", "last", "first-k", "last-k"] as const;

/**
 * How token features are combined:
 * - `sum`: Σ of activations over the pooled tokens (MOSAIC's `top_n = 0`).
 * - `topn-count`: per token, one-hot its `n` largest active features, summed over tokens (a count; MOSAIC's `top_n = n`).
 * - `mean`: the sum divided by the number of pooled tokens (a feature absent on a token counts as 0 there).
 * - `max`: per feature, the largest activation over the pooled tokens (absent = 0, so never negative).
 * - `last`: the last pooled token's features.
 * - `first-k` / `last-k`: the sum over the first / last `k` pooled tokens (all of them when fewer than `k`).
 */
export type PoolStrategy = typeof POOL_STRATEGIES[number];

/** One pooling: a strategy, its parameter, and the token mask. */
export interface PoolSpec {
  strategy: PoolStrategy;
  /** Features counted per token; required by `topn-count` (an integer ≥ 1), refused elsewhere. */
  n?: number;
  /** Window length in tokens; required by `first-k` / `last-k` (an integer ≥ 1), refused elsewhere. */
  k?: number;
  /**
   * Reproduce the MOSAIC reference: pool over every real position including BOS, and let `topn-count` count inactive
   * (zero) features on tokens with fewer than `n` active ones (see {@link poolRecord}). MOSAIC also pooled padding;
   * padded positions never reach this stage (features are CSR over real tokens), so that part cannot be reproduced.
   */
  mosaicCompat?: boolean;
  /** Keep the BOS token (position 0 when the batch has one); by default it is masked out. */
  includeBos?: boolean;
}

/** A checked {@link PoolSpec}: the mask flags are always set (`mosaicCompat` implies `includeBos`). */
export interface ValidPoolSpec extends PoolSpec {
  mosaicCompat: boolean;
  includeBos: boolean;
}

/**
 * Checks a spec and returns a normalized copy (`mosaicCompat` and `includeBos` set, parameters only where they
 * belong). Throws a ConfigError naming the problem.
 *
 * @example
 * ```ts
 * validatePoolSpec({ strategy: "topn-count", n: 5 }); // { strategy: "topn-count", n: 5, mosaicCompat: false, includeBos: false }
 * validatePoolSpec({ strategy: "sum", n: 5 }); // throws ConfigError: n only applies to topn-count
 * ```
 */
export function validatePoolSpec(spec: PoolSpec): ValidPoolSpec {
  const { strategy, n, k } = spec;
  if (!(POOL_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ConfigError(
      `unknown pool strategy ${JSON.stringify(strategy)}; expected one of ${POOL_STRATEGIES.join(", ")}`,
    );
  }
  const where = `pool ${strategy}`;
  if (strategy === "topn-count") {
    if (n === undefined || !Number.isInteger(n) || n < 1) {
      throw new ConfigError(`${where} needs n, an integer ≥ 1 (features counted per token); got ${n}`);
    }
  } else if (n !== undefined) {
    throw new ConfigError(`${where}: n only applies to topn-count`);
  }
  if (strategy === "first-k" || strategy === "last-k") {
    if (k === undefined || !Number.isInteger(k) || k < 1) {
      throw new ConfigError(`${where} needs k, an integer ≥ 1 (window length in tokens); got ${k}`);
    }
  } else if (k !== undefined) {
    throw new ConfigError(`${where}: k only applies to first-k and last-k`);
  }
  const mosaicCompat = spec.mosaicCompat ?? false;
  if (mosaicCompat && spec.includeBos === false) {
    throw new ConfigError(`${where}: mosaicCompat pools BOS as MOSAIC did, so includeBos: false contradicts it`);
  }
  const out: ValidPoolSpec = {
    strategy,
    mosaicCompat,
    includeBos: mosaicCompat || (spec.includeBos ?? false),
  };
  if (n !== undefined) out.n = n;
  if (k !== undefined) out.k = k;
  return out;
}

/**
 * The pooling's name for shard metadata and column names: strategy, parameter, mask. `[mask=no-bos]` is the default
 * mask, `[mask=bos]` keeps BOS, `[mosaic-compat]` is the reference's behaviour.
 *
 * @example
 * ```ts
 * describePool({ strategy: "sum" }); // "sum[mask=no-bos]"
 * describePool({ strategy: "topn-count", n: 5, mosaicCompat: true }); // "topn-count(n=5)[mosaic-compat]"
 * describePool({ strategy: "last-k", k: 8, includeBos: true }); // "last-k(k=8)[mask=bos]"
 * ```
 */
export function describePool(spec: PoolSpec): string {
  const s = validatePoolSpec(spec);
  const param = s.n !== undefined ? `(n=${s.n})` : s.k !== undefined ? `(k=${s.k})` : "";
  const mask = s.mosaicCompat ? "[mosaic-compat]" : s.includeBos ? "[mask=bos]" : "[mask=no-bos]";
  return `${s.strategy}${param}${mask}`;
}

/** The token masks of the command-line form, after `@`. */
const MASKS = { "no-bos": {}, bos: { includeBos: true }, "mosaic-compat": { mosaicCompat: true } } as const;

/**
 * Parses the command-line form `<strategy>[:<n or k>][@<mask>]`, mask `no-bos` (default), `bos` or `mosaic-compat`:
 * `sum`, `topn-count:5`, `last-k:8@bos`, `sum@mosaic-compat`. Throws a ConfigError naming the text.
 *
 * @example
 * ```ts
 * parsePoolSpec("topn-count:5@mosaic-compat"); // { strategy: "topn-count", n: 5, mosaicCompat: true, includeBos: true }
 * ```
 */
export function parsePoolSpec(text: string): ValidPoolSpec {
  const [body, mask = "no-bos", ...extra] = text.trim().split("@");
  const [strategy, parameter, ...more] = body.split(":");
  const fail = (problem: string): never => {
    throw new ConfigError(
      `pool ${JSON.stringify(text)}: ${problem}; expected <strategy>[:<n|k>][@no-bos|bos|mosaic-compat], ` +
        `strategy one of ${POOL_STRATEGIES.join(", ")}`,
    );
  };
  if (extra.length || more.length) fail("too many parts");
  if (!Object.hasOwn(MASKS, mask)) fail(`unknown mask "${mask}"`);
  const value = parameter === undefined ? undefined : Number(parameter);
  if (value !== undefined && !Number.isInteger(value)) fail(`"${parameter}" is not an integer`);
  const size = strategy === "topn-count" ? { n: value } : strategy.endsWith("-k") ? { k: value } : {};
  if (value !== undefined && !("n" in size || "k" in size)) fail(`${strategy} takes no parameter`);
  try {
    return validatePoolSpec({ strategy: strategy as PoolStrategy, ...size, ...MASKS[mask as keyof typeof MASKS] });
  } catch (error) {
    // validatePoolSpec names the spec, not the text the user typed: say which one it was
    if (error instanceof ConfigError) throw new ConfigError(`pool ${JSON.stringify(text)}: ${error.message}`);
    throw error;
  }
}
