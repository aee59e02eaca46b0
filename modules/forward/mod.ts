/**
 * `@saeflow/forward`: hidden states at any hooks (`blocks.{L}.hook_resid_post`, ...) from ONNX or safetensors models, all layers in one pass.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("2 of 7 — tokenize + forward") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
