/**
 * Hook names: the TransformerLens / SAELens vocabulary (`blocks.12.hook_resid_post`) used everywhere an activation
 * is named — CLI flags, graph outputs, shard metadata.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** The activation sites a decoder block exposes. */
export const HOOK_POINTS = ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"] as const;
export type HookPoint = typeof HOOK_POINTS[number];

/** A parsed hook name. */
export interface Hook {
  /** The canonical name, `blocks.{layer}.hook_{point}`. */
  name: string;
  layer: number;
  point: HookPoint;
}

const HOOK_PATTERN = /^blocks\.(\d+)\.hook_([a-z_]+)$/;

/** Parses one hook name's syntax (no layer-count check); throws a ConfigError naming `where` when it is not one. */
export function parseHookName(name: string, where?: string): Hook {
  const match = HOOK_PATTERN.exec(name);
  const point = match?.[2] as HookPoint | undefined;
  if (!match || !HOOK_POINTS.includes(point!)) {
    throw new ConfigError(
      `${where ? `${where}: ` : ""}unknown hook "${name}"; expected blocks.{layer}.hook_{${HOOK_POINTS.join("|")}}`,
    );
  }
  return { name, layer: Number(match[1]), point: point! };
}

/**
 * Parses and validates hook names against a model's layer count.
 *
 * @example
 * ```ts
 * parseHooks(["blocks.3.hook_resid_post"], 5); // [{ name: "blocks.3.hook_resid_post", layer: 3, point: "resid_post" }]
 * ```
 */
export function parseHooks(names: readonly string[], numLayers: number, model = "the model"): Hook[] {
  const seen = new Set<string>();
  return names.map((name) => {
    const { layer, point } = parseHookName(name);
    if (layer >= numLayers) {
      throw new ConfigError(
        `hook "${name}" asks for layer ${layer}, but ${model} has ${numLayers} layers (0..${numLayers - 1})`,
      );
    }
    if (seen.has(name)) throw new ConfigError(`hook "${name}" requested twice`);
    seen.add(name);
    return { name, layer, point };
  });
}

/** Hooks for the residual stream after each of `layers` (`blocks.{L}.hook_resid_post`). */
export function residPostHooks(layers: readonly number[]): string[] {
  return layers.map((layer) => `blocks.${layer}.hook_resid_post`);
}
