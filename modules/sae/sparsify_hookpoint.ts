/**
 * sparsify names what an SAE reads by the Hugging Face module it hooks (`layers.6`, `h.6.mlp`: the folder name of a
 * saved run), and takes the module's output for an autoencoder, its input for a transcoder. This maps those to
 * TransformerLens hook names where there is one: a block's output is `blocks.N.hook_resid_post`, its input
 * `blocks.N.hook_resid_pre`, an MLP's or attention's output `hook_mlp_out` / `hook_attn_out`.
 *
 * The submodule mapping holds for architectures without post-norms (Llama, Mistral, GPT-2). In Gemma 2 the Hugging
 * Face `mlp` / `self_attn` outputs come before `post_feedforward_layernorm` / `post_attention_layernorm`, while
 * saeflow's `hook_mlp_out` / `hook_attn_out` (like TransformerLens') are after them: such an SAE's `hookName` names
 * the wrong tensor for Gemma 2, and a caller pairing it with a Gemma 2 model must not use the submodule hooks.
 * @module
 */

const MODULE_PATTERN = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:layers|h)\.(\d+)(?:\.(mlp|self_attn|attn|attention))?$/;

const SUBMODULE_OUTPUT: Readonly<Record<string, string>> = {
  mlp: "mlp_out",
  self_attn: "attn_out",
  attn: "attn_out",
  attention: "attn_out",
};

/**
 * The TransformerLens hook a sparsify hookpoint reads, or undefined when it has none (a transcoder's MLP input is
 * the normalized residual, which has no hook name here).
 *
 * @example
 * ```ts
 * sparsifyHookName("layers.6", { transcode: false }); // "blocks.6.hook_resid_post"
 * sparsifyHookName("model.layers.6.mlp", { transcode: false }); // "blocks.6.hook_mlp_out"
 * sparsifyHookName("layers.6", { transcode: true }); // "blocks.6.hook_resid_pre"
 * ```
 */
export function sparsifyHookName(hookpoint: string, { transcode }: { transcode: boolean }): string | undefined {
  const match = MODULE_PATTERN.exec(hookpoint);
  if (!match) return undefined;
  const [, layer, submodule] = match;
  if (submodule === undefined) return `blocks.${layer}.hook_resid_${transcode ? "pre" : "post"}`;
  return transcode ? undefined : `blocks.${layer}.hook_${SUBMODULE_OUTPUT[submodule]}`;
}
