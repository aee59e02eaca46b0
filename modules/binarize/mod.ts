/**
 * `@saeflow/binarize`: turning pooled features into index sets (`x > t`, `x >= t`, presence, per-feature thresholds).
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("4 of 7 — pool + binarize + baselines") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
