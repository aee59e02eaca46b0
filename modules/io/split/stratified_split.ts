/**
 * Deterministic splits by record id: a per-record draw for streams ({@link assignSplit}) and an exact stratified cut
 * for when every id and label is known up front ({@link stratifiedSplit}). Both depend only on (seed, id, label),
 * never on input order, batch size or feature type, so every feature set of a dataset is probed on one split.
 * @module
 */
import { DataError } from "@saeflow/core";
import { splitDraw } from "./split_hash.ts";
import { checkSplitOptions, type SplitName, type SplitOptions } from "./split_options.ts";

/**
 * The split of one record from its id alone: `u = splitDraw(seed, id).u`, then test if `u >= 1 - test`,
 * validation if `u >= 1 - test - validation`, else train. Stratification holds in expectation: `u` is independent
 * of the label, so each class splits in the given fractions up to sampling noise. The label is deliberately not
 * hashed (a corrected label must not move a record); it is in the signature so that callers can swap in a
 * stratified scheme later. Test is cut from the top of `[0, 1)`, so carving validation out of train never
 * changes the test set, and the records {@link stratifiedSplit} puts in test are mostly the same ones.
 * Throws a `ConfigError` for a bad seed or fractions that do not sum to 1.
 *
 * @example
 * ```ts
 * assignSplit("sst2:17", "positive", { seed: 42, fractions: { train: 0.8, test: 0.2 } }); // "train" or "test"
 * ```
 */
export function assignSplit(id: string, _label: string | undefined, options: SplitOptions): SplitName {
  const f = checkSplitOptions(options);
  const { u } = splitDraw(options.seed, id);
  if (f.test > 0 && u >= 1 - f.test) return "test";
  if (f.validation > 0 && u >= 1 - f.test - f.validation) return "validation";
  return "train";
}

/** What {@link stratifiedSplit} needs of a record. */
export interface SplitRecord {
  id: string;
  /** The stratum; records without a label form one stratum of their own. */
  label?: string;
  /** A split the dataset already assigned: kept verbatim unless `presets: "reassign"`. */
  split?: string;
}

/** Options of {@link stratifiedSplit} (and of {@link recordSplit}). */
export interface StratifiedSplitOptions extends SplitOptions {
  /** `"keep"` (default): records with a non-empty `split` keep it and do not count in the class sizes;
   * `"reassign"`: ignore the dataset's splits and assign every record. */
  presets?: "keep" | "reassign";
}

/**
 * The exact stratified split: within each label, ids are sorted by their SHA-256 draw (hex digest, then id) and cut
 * from the top: the last `round(n * test)` go to test, the `round(n * validation)` before them to validation, the
 * rest to train (`round` = nearest, halves up). Per-class counts are therefore exact, and the result does not
 * depend on record order. Records with a preset split keep it (see `presets`); only the others are counted and cut.
 * Returns id -> split name. Throws a `DataError` for a duplicate id, a `ConfigError` for bad options.
 *
 * @example
 * ```ts
 * const split = stratifiedSplit(
 *   [{ id: "a", label: "yes" }, { id: "b", label: "no" }, { id: "c", label: "yes", split: "test" }],
 *   { seed: 42, fractions: { train: 0.8, test: 0.2 } },
 * );
 * split.get("c"); // "test" (preset kept)
 * ```
 */
export function stratifiedSplit(records: Iterable<SplitRecord>, options: StratifiedSplitOptions): Map<string, string> {
  const f = checkSplitOptions(options);
  const keepPresets = (options.presets ?? "keep") === "keep";
  const result = new Map<string, string>();
  // A Map key that no string label can collide with marks the unlabelled stratum.
  const strata = new Map<string | undefined, { id: string; hex: string }[]>();
  for (const record of records) {
    if (result.has(record.id)) {
      throw new DataError("stratifiedSplit", { id: record.id }, "duplicate record id", "unique ids");
    }
    if (keepPresets && record.split) {
      result.set(record.id, record.split);
      continue;
    }
    result.set(record.id, "train"); // placeholder, overwritten below; also marks the id as seen
    let stratum = strata.get(record.label);
    if (!stratum) strata.set(record.label, stratum = []);
    stratum.push({ id: record.id, hex: splitDraw(options.seed, record.id).hex });
  }
  for (const stratum of strata.values()) {
    stratum.sort((a, b) => a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const n = stratum.length;
    const nTest = Math.min(n, roundHalfUp(n * f.test));
    const nValidation = Math.min(n - nTest, roundHalfUp(n * f.validation));
    for (let i = 0; i < n; i++) {
      const fromTop = n - i;
      const split = fromTop <= nTest ? "test" : fromTop <= nTest + nValidation ? "validation" : "train";
      result.set(stratum[i].id, split);
    }
  }
  return result;
}

/**
 * The split of one record in a stream: its preset split when it has one (and `presets` is `"keep"`), else
 * {@link assignSplit}'s.
 *
 * @example
 * ```ts
 * recordSplit({ id: "x", split: "validation" }, { seed: 42, fractions: { train: 0.8, test: 0.2 } }); // "validation"
 * ```
 */
export function recordSplit(record: SplitRecord, options: StratifiedSplitOptions): string {
  if ((options.presets ?? "keep") === "keep" && record.split) return record.split;
  return assignSplit(record.id, record.label, options);
}

/** Nearest integer, halves up; the epsilon absorbs products such as 25 * 0.1 = 2.5000000000000004 or 2.4999999. */
function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5 + 1e-9);
}
