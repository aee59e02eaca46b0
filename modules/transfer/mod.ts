/**
 * `@saeflow/transfer`: train on one dataset or language, evaluate on another, as a matrix.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("5 of 7 — probe + metrics + transfer basics") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
