/**
 * `@saeflow/tokenize`: Hugging Face and llama2.c tokenizers, truncation, chat templates, length-bucketed token batches.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("2 of 7 — tokenize + forward") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
