/**
 * Binarization rules as data: what `--binarize` names and what every result records.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** The rules: `gt` x > t, `ge` x >= t, `presence` x > 0, `per-feature` x > t_f with fitted per-feature thresholds. */
export type BinarizeRule = "gt" | "ge" | "presence" | "per-feature";

/** The rules in the order they are documented. */
export const BINARIZE_RULES: readonly BinarizeRule[] = ["gt", "ge", "presence", "per-feature"];

/**
 * A binarization rule.
 *
 * - `gt`: active when x > `threshold` (default 1.0, MOSAIC's `x > 1.0`); `threshold` must be >= 0.
 * - `ge`: active when x >= `threshold` (default 1.0, MOSAIC's cross-lingual scripts); `threshold` must be > 0.
 * - `presence`: active when x > 0; no `threshold`.
 * - `per-feature`: active when x > t_f, thresholds fitted on the training split (see `fitQuantileThresholds`);
 *   `quantile` records the quantile they were fitted at; no `threshold`.
 *
 * Index sets list stored features only, so no rule may make a 0 (an absent feature) active: hence the bounds above.
 * Thresholds are compared as float32 (`Math.fround(threshold)`), as NumPy and PyTorch compare a float32 array with
 * a Python float: 0.1 means float32(0.1), and a stored float32(0.1) is not > 0.1.
 */
export interface BinarizeSpec {
  rule: BinarizeRule;
  threshold?: number;
  quantile?: number;
}

/** MOSAIC's threshold, used by `gt` and `ge` when none is given. */
export const DEFAULT_BINARIZE_THRESHOLD = 1.0;

/**
 * Validates a spec and fills in defaults (`gt`/`ge` get `threshold` 1.0). Throws a {@linkcode ConfigError} naming
 * what is wrong.
 *
 * @example
 * ```ts
 * validateBinarizeSpec({ rule: "gt" }); // { rule: "gt", threshold: 1 }
 * ```
 */
export function validateBinarizeSpec(spec: BinarizeSpec): BinarizeSpec {
  if (typeof spec !== "object" || spec === null) throw new ConfigError(`binarize spec must be an object, got ${spec}`);
  const { rule, threshold, quantile } = spec;
  if (!BINARIZE_RULES.includes(rule)) {
    throw new ConfigError(
      `unknown binarize rule ${JSON.stringify(rule)}; expected one of: ${BINARIZE_RULES.join(", ")}`,
    );
  }
  if (rule === "gt" || rule === "ge") {
    if (quantile !== undefined) throw new ConfigError(`binarize rule "${rule}" takes a threshold, not a quantile`);
    const t = threshold ?? DEFAULT_BINARIZE_THRESHOLD;
    if (typeof t !== "number" || !Number.isFinite(t)) {
      throw new ConfigError(`binarize rule "${rule}": threshold must be a finite number, got ${t}`);
    }
    if (rule === "gt" && !(Math.fround(t) >= 0)) {
      throw new ConfigError(
        `binarize rule "gt": threshold ${t} < 0 would make every absent (zero) feature active; expected >= 0`,
      );
    }
    if (rule === "ge" && !(Math.fround(t) > 0)) {
      throw new ConfigError(
        `binarize rule "ge": threshold ${t} (float32 ${Math.fround(t)}) <= 0 would make every absent (zero) feature ` +
          `active; expected > 0 (use "presence" for x > 0)`,
      );
    }
    return { rule, threshold: t };
  }
  if (threshold !== undefined) {
    throw new ConfigError(
      `binarize rule "${rule}" takes no threshold (${
        rule === "presence" ? "it is x > 0" : "its thresholds are fitted per feature"
      }), got ${threshold}`,
    );
  }
  if (rule === "presence") {
    if (quantile !== undefined) throw new ConfigError(`binarize rule "presence" takes no quantile, got ${quantile}`);
    return { rule };
  }
  if (quantile === undefined) return { rule };
  checkQuantile(quantile, `binarize rule "per-feature"`);
  return { rule, quantile };
}

/** Throws a {@linkcode ConfigError} unless `q` is a number in [0, 1]. */
export function checkQuantile(q: number, what = "quantile"): void {
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) {
    throw new ConfigError(`${what}: quantile must be in [0, 1], got ${q}`);
  }
}

/**
 * Parses the command-line form: `gt`, `gt:1`, `ge:0.5`, `presence`, `per-feature`, `per-feature:0.9` (the quantile).
 *
 * @example
 * ```ts
 * parseBinarizeSpec("ge:1"); // { rule: "ge", threshold: 1 }
 * ```
 */
export function parseBinarizeSpec(text: string): BinarizeSpec {
  const colon = text.indexOf(":");
  const rule = (colon < 0 ? text : text.slice(0, colon)).trim() as BinarizeRule;
  const argument = colon < 0 ? undefined : text.slice(colon + 1).trim();
  let value: number | undefined;
  if (argument !== undefined) {
    value = argument === "" ? NaN : Number(argument);
    if (!Number.isFinite(value)) {
      throw new ConfigError(`binarize spec ${JSON.stringify(text)}: "${argument}" is not a number`);
    }
  }
  if (rule === "per-feature") {
    return validateBinarizeSpec({ rule, ...(value === undefined ? {} : { quantile: value }) });
  }
  return validateBinarizeSpec({ rule, ...(value === undefined ? {} : { threshold: value }) });
}

/**
 * The short name of a spec, inverse of {@linkcode parseBinarizeSpec}: `gt:1`, `ge:0.5`, `presence`, `per-feature:0.9`.
 * Used as the default output name (column) of each spec.
 */
export function binarizeSpecLabel(spec: BinarizeSpec): string {
  const valid = validateBinarizeSpec(spec);
  if (valid.threshold !== undefined) return `${valid.rule}:${valid.threshold}`;
  if (valid.quantile !== undefined) return `${valid.rule}:${valid.quantile}`;
  return valid.rule;
}
