/**
 * The `--sae` flag: which SAEs to encode with, as text, and their resolution into specs at hooks.
 * - `random:<width>[:k=<k>][:seed=<seed>]`: a seeded random TopK SAE at every `--layers` hook (a baseline, and the
 *   stand-in until a trained SAE exists);
 * - `gemma-scope:<width>`: the canonical Gemma Scope SAE of `--model` at every `--layers` hook (downloaded once);
 * - `<path>` or `<layer>=<path>`: a SAELens or sparsify folder, or a Gemma Scope `params.npz`, at the hook its config
 *   names (an npz names none: give the layer).
 * @module
 */
import { basename, dirname } from "node:path";
import { ConfigError } from "@saeflow/core";
import {
  findGemmaScopeSae,
  loadGemmaScopeNpz,
  loadGemmaScopeSae,
  loadSaeLens,
  loadSparsify,
  randomSae,
  SAELENS_WEIGHTS_FILE,
  type SaeSpec,
  SPARSIFY_WEIGHTS_FILE,
} from "@saeflow/sae";
import { statIfExists } from "@saeflow/io";

/** One `--sae` value, parsed. */
export type SaeSource =
  | { kind: "random"; width: number; k: number; seed: number }
  | { kind: "gemma-scope"; width: string }
  | { kind: "file"; path: string; layer?: number };

/** An SAE placed at its hook, with the id its shards are named by (`l2.random-512`). */
export interface PlacedSae {
  id: string;
  hook: string;
  spec: SaeSpec;
}

const USAGE = "expected random:<width>[:k=<k>][:seed=<seed>], gemma-scope:<width>, <path> or <layer>=<path>";

/**
 * Parses one `--sae` value; throws a ConfigError naming it.
 *
 * @example
 * ```ts
 * parseSaeSource("random:512:k=16"); // { kind: "random", width: 512, k: 16, seed: 0 }
 * parseSaeSource("3=out/sae/l3"); // { kind: "file", path: "out/sae/l3", layer: 3 }
 * ```
 */
export function parseSaeSource(text: string): SaeSource {
  const fail = (problem: string): never => {
    throw new ConfigError(`--sae ${text}: ${problem}; ${USAGE}`);
  };
  const integer = (value: string, what: string, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) fail(`${what} "${value}" is not an integer ≥ ${min}`);
    return n;
  };
  if (text.startsWith("random:")) {
    const [width, ...options] = text.slice("random:".length).split(":");
    const source = { kind: "random" as const, width: integer(width, "width", 1), k: 32, seed: 0 };
    for (const option of options) {
      const [key, value] = option.split("=");
      if (key === "k") source.k = integer(value, "k", 1);
      else if (key === "seed") source.seed = integer(value, "seed", 0);
      else fail(`unknown option "${option}"`);
    }
    return source;
  }
  if (text.startsWith("gemma-scope:")) {
    const width = text.slice("gemma-scope:".length);
    if (!/^\d+k$|^\d+$/.test(width)) fail(`width "${width}" is not like 16k or 16384`);
    return { kind: "gemma-scope", width };
  }
  const placed = /^(\d+)=(.+)$/.exec(text);
  if (placed) return { kind: "file", layer: Number(placed[1]), path: placed[2] };
  if (text === "") fail("empty");
  return { kind: "file", path: text };
}

/** Loads the file SAEs (their hooks decide which hooks the model must expose). */
export async function loadFileSaes(sources: readonly SaeSource[], site: string): Promise<PlacedSae[]> {
  const placed: PlacedSae[] = [];
  for (const source of sources) {
    if (source.kind !== "file") continue;
    const spec = await loadSaeFile(source.path, source.layer === undefined ? undefined : hookOf(source.layer, site));
    const hook = spec.hookName;
    if (!hook) {
      throw new ConfigError(`--sae ${source.path}: its config names no hook; give the layer as <layer>=<path>`);
    }
    placed.push({ id: `${layerTag(hook)}.${fileSaeName(source.path)}`, hook, spec });
  }
  return placed;
}

/** The folder deno task train-sae saves its SAE in, inside the run's output directory. */
export const SAE_FOLDER = "sae";

/** A file SAE's name in its id: the file's or folder's name, or for train-sae's `<run>/sae` the run's. */
function fileSaeName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return basename(trimmed) === SAE_FOLDER ? basename(dirname(trimmed)) : basename(trimmed);
}

/**
 * The per-layer SAEs (random and Gemma Scope) at each `layers` hook of `site`, for a model of width `dModel`
 * called `model` (its Hub id, for the Gemma Scope registry).
 */
export async function layerSaes(
  sources: readonly SaeSource[],
  { layers, site, dModel, model }: { layers: readonly number[]; site: string; dModel: number; model: string },
): Promise<PlacedSae[]> {
  const placed: PlacedSae[] = [];
  for (const source of sources) {
    for (const layer of layers) {
      const hook = hookOf(layer, site);
      if (source.kind === "random") {
        const spec = randomSae({ dIn: dModel, dSae: source.width, k: source.k, seed: source.seed, hookName: hook });
        placed.push({ id: `l${layer}.${spec.id}`, hook, spec });
      } else if (source.kind === "gemma-scope") {
        if (site !== "resid_post") throw new ConfigError("Gemma Scope residual SAEs read hook_resid_post");
        const sae = findGemmaScopeSae({ model, layer, width: source.width });
        placed.push({ id: `l${layer}.gemma-scope-${sae.width}`, hook, spec: await loadGemmaScopeSae(sae) });
      }
    }
  }
  return placed;
}

/** Refuses two SAEs with one id: their shards, statistics and examples would land in the same place. */
export function checkDistinctIds(placed: readonly PlacedSae[]): void {
  const ids = placed.map((p) => p.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) {
    throw new ConfigError(
      `--sae: two SAEs are both called ${twice}; give random ones different seeds or widths, file ones different ` +
        `folder (or train-sae run) names`,
    );
  }
}

export const hookOf = (layer: number, site: string): string => `blocks.${layer}.hook_${site}`;

/** `blocks.12.hook_resid_post` → `l12` (the site, when not resid_post, is added: `l12-mlp_out`). */
export function layerTag(hook: string): string {
  const [, layer, site] = /^blocks\.(\d+)\.hook_(.+)$/.exec(hook)!;
  return site === "resid_post" ? `l${layer}` : `l${layer}-${site}`;
}

async function loadSaeFile(path: string, hookName: string | undefined): Promise<SaeSpec> {
  const info = await statIfExists(path);
  if (!info) throw new ConfigError(`--sae ${path}: no such file or folder`);
  if (info.isFile) {
    if (!path.endsWith(".npz")) throw new ConfigError(`--sae ${path}: a file must be a Gemma Scope params.npz`);
    return await loadGemmaScopeNpz(path, { hookName });
  }
  const has = async (file: string) => (await statIfExists(`${path}/${file}`))?.isFile === true;
  const spec = await has(SAELENS_WEIGHTS_FILE)
    ? await loadSaeLens(path)
    : await has(SPARSIFY_WEIGHTS_FILE)
    ? await loadSparsify(path)
    : undefined;
  if (!spec) {
    throw new ConfigError(
      `--sae ${path}: neither a SAELens folder (${SAELENS_WEIGHTS_FILE}) nor a sparsify one (${SPARSIFY_WEIGHTS_FILE})`,
    );
  }
  if (hookName && spec.hookName && spec.hookName !== hookName) {
    throw new ConfigError(`--sae ${path}: trained on ${spec.hookName}, not ${hookName}`);
  }
  return hookName ? { ...spec, hookName } : spec;
}
