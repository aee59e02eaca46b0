/**
 * `@saeflow/sae`: loading Gemma Scope / SAELens / sparsify SAEs and encoding activations into sparse features (`saeEncode`); SAE training.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("3 of 7 — saeEncode") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
