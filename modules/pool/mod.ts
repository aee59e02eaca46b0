/**
 * `@saeflow/pool`: pooling sparse per-token features over a record's tokens (sum, top-n count, mean, max, last, windows) with token masks.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("4 of 7 — pool + binarize + baselines") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
