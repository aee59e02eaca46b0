/**
 * The Gemma Scope releases as data (`data/gemma_scope.yaml`): which SAE exists for which model, layer and width,
 * where it lives on the Hub, which hook it reads and its Neuronpedia id. Lookups are exact, so an instruction-tuned
 * model can never be handed its base model's SAEs (MOSAIC's 9B-IT runs were, through a substring match).
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { downloadModelFile, type HubOptions } from "@saeflow/io";
import { parse } from "yaml";
import type { SaeSpec } from "./sae_spec.ts";
import { loadGemmaScopeNpz } from "./gemma_scope_npz.ts";

/** The registry shipped with saeflow. */
export const GEMMA_SCOPE_REGISTRY_PATH: string = new URL("../../data/gemma_scope.yaml", import.meta.url).pathname;

/** SAE widths as Gemma Scope names them, and the number of features each stands for. */
export const GEMMA_SCOPE_WIDTHS: Readonly<Record<string, number>> = {
  "16k": 16384,
  "32k": 32768,
  "65k": 65536,
  "131k": 131072,
  "262k": 262144,
  "524k": 524288,
  "1m": 1048576,
};

/** One Gemma Scope SAE. */
export interface GemmaScopeSae {
  /** `gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82`: release and path, as SAELens names it. */
  id: string;
  /** `gemma-scope-2b-pt-res` */
  release: string;
  /** Hub repository, `google/gemma-scope-2b-pt-res`. */
  repo: string;
  /** `gemma-2-2b` */
  modelId: string;
  layer: number;
  /** `16k` */
  width: string;
  dModel: number;
  dSae: number;
  averageL0: number;
  /** Path in the repository: `layer_12/width_16k/average_l0_82/params.npz`. */
  path: string;
  /** `blocks.12.hook_resid_post` */
  hookName: string;
  /** `gemma-2-2b/12-gemmascope-res-16k` */
  neuronpediaId: string;
  /** Size in bytes, when the registry knows it (downloads are verified against it). */
  size?: number;
  /** Hex sha256, when the registry knows it. */
  sha256?: string;
}

/** Which SAE: a model (`gemma-2-9b-it`, or with the `google/` of its Hub id), a layer and a width. */
export interface GemmaScopeQuery {
  model: string;
  layer: number;
  /** `16k`, or the number of features (16384). */
  width: string | number;
  /** The average L0 expected; the registry lists canonical SAEs only, so another value is an error. */
  averageL0?: number;
}

interface ModelReleases {
  release: string;
  repo: string;
  layers: number;
  dModel: number;
  hook: string;
  neuronpedia: string;
  averageL0: Record<string, Record<string, number>>;
  files?: Record<string, { size?: number; sha256?: string }>;
}

/**
 * The Gemma Scope SAEs of a registry file, by model.
 *
 * @example
 * ```ts
 * const registry = loadGemmaScopeRegistry();
 * registry.models; // ["gemma-2-2b", "gemma-2-9b", "gemma-2-9b-it"]
 * registry.find({ model: "gemma-2-2b", layer: 12, width: "16k" }).path; // "layer_12/width_16k/average_l0_82/params.npz"
 * ```
 */
export class GemmaScopeRegistry {
  readonly #models: ReadonlyMap<string, ModelReleases>;

  constructor(readonly source: string, models: ReadonlyMap<string, ModelReleases>) {
    this.#models = models;
  }

  get models(): string[] {
    return [...this.#models.keys()];
  }

  /** Every SAE listed for `model` (every model's when left out), by width then layer. */
  list(model?: string): GemmaScopeSae[] {
    const models = model === undefined ? this.models : [this.#releases(model)[0]];
    return models.flatMap((id) => {
      const releases = this.#models.get(id)!;
      return Object.entries(releases.averageL0).flatMap(([width, layers]) =>
        Object.keys(layers).map(Number).sort((a, b) => a - b).map((layer) => this.#entry(id, releases, layer, width))
      );
    });
  }

  /** The SAE for exactly this model, layer and width; a ConfigError listing what the model has otherwise. */
  find(query: GemmaScopeQuery): GemmaScopeSae {
    const [model, releases] = this.#releases(query.model);
    const width = typeof query.width === "number" ? widthName(query.width) : query.width;
    const l0 = width === undefined ? undefined : releases.averageL0[width]?.[String(query.layer)];
    if (l0 === undefined) {
      throw new ConfigError(
        `no Gemma Scope SAE for ${model} layer ${query.layer} width ${query.width} in ${this.source}; ${model} (${releases.repo}) has ${
          describe(releases)
        }`,
      );
    }
    if (query.averageL0 !== undefined && query.averageL0 !== l0) {
      throw new ConfigError(
        `${model} layer ${query.layer} width ${width} is listed with average L0 ${l0} (its canonical SAE), not ${query.averageL0}; ${this.source} lists canonical SAEs only`,
      );
    }
    return this.#entry(model, releases, query.layer, width!);
  }

  #releases(model: string): [string, ModelReleases] {
    const id = model.replace(/^google\//, "");
    const releases = this.#models.get(id);
    if (!releases) {
      throw new ConfigError(
        `no Gemma Scope SAEs for model "${model}" in ${this.source}; it lists ${this.models.join(", ")}`,
      );
    }
    return [id, releases];
  }

  #entry(model: string, releases: ModelReleases, layer: number, width: string): GemmaScopeSae {
    const averageL0 = releases.averageL0[width][String(layer)];
    const path = `layer_${layer}/width_${width}/average_l0_${averageL0}/params.npz`;
    const fill = (template: string) => template.replaceAll("{layer}", String(layer)).replaceAll("{width}", width);
    const file = releases.files?.[path];
    return {
      id: `${releases.release}/${path.slice(0, -"/params.npz".length)}`,
      release: releases.release,
      repo: releases.repo,
      modelId: model,
      layer,
      width,
      dModel: releases.dModel,
      dSae: GEMMA_SCOPE_WIDTHS[width],
      averageL0,
      path,
      hookName: fill(releases.hook),
      neuronpediaId: fill(releases.neuronpedia),
      ...(file?.size !== undefined && { size: file.size }),
      ...(file?.sha256 !== undefined && { sha256: file.sha256 }),
    };
  }
}

const cache = new Map<string, GemmaScopeRegistry>();

/**
 * Reads and checks a registry file (default: the one shipped, `data/gemma_scope.yaml`); read once per path.
 * A ConfigError names the file and the entry that is wrong.
 *
 * @example
 * ```ts
 * const registry = loadGemmaScopeRegistry("my_gemma_scope.yaml");
 * ```
 */
export function loadGemmaScopeRegistry(path: string = GEMMA_SCOPE_REGISTRY_PATH): GemmaScopeRegistry {
  const cached = cache.get(path);
  if (cached) return cached;
  let raw: unknown;
  try {
    raw = parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the Gemma Scope registry (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isRecord(raw)) throw new ConfigError(`${path}: expected a mapping of model ids to their Gemma Scope SAEs`);
  const models = new Map(Object.entries(raw).map(([model, value]) => [model, checkModel(path, model, value)]));
  const registry = new GemmaScopeRegistry(path, models);
  cache.set(path, registry);
  return registry;
}

/**
 * The Gemma Scope SAE for exactly this model, layer and width, from the shipped registry (or `registry`).
 *
 * @example
 * ```ts
 * const sae = findGemmaScopeSae({ model: "gemma-2-9b-it", layer: 20, width: "16k" });
 * sae.repo; // "google/gemma-scope-9b-it-res", never the 9b pretrained one
 * sae.hookName; // "blocks.20.hook_resid_post"
 * ```
 */
export function findGemmaScopeSae(
  query: GemmaScopeQuery,
  registry: GemmaScopeRegistry = loadGemmaScopeRegistry(),
): GemmaScopeSae {
  return registry.find(query);
}

/** Options of {@link downloadGemmaScopeSae}. */
export interface GemmaScopeDownloadOptions {
  hub?: HubOptions;
  /** Branch, tag or commit of the repository (default `main`). */
  revision?: string;
}

/**
 * Downloads the SAE's `params.npz` into the Hub cache (`models/{repo}/{revision}/{path}`), resuming an interrupted
 * download and verifying size and sha256 when the registry knows them; returns its local path. A cached file costs
 * no request. `HF_TOKEN`, `HF_ENDPOINT` and offline mode apply as for every Hub download.
 *
 * @example
 * ```ts
 * const path = await downloadGemmaScopeSae(findGemmaScopeSae({ model: "gemma-2-2b", layer: 12, width: "16k" }));
 * ```
 */
export async function downloadGemmaScopeSae(
  sae: GemmaScopeSae,
  options: GemmaScopeDownloadOptions = {},
): Promise<string> {
  const { revision = "main" } = options;
  return (await downloadModelFile(sae.repo, sae.path, {
    revision,
    hub: options.hub,
    expectedSize: sae.size,
    sha256: sae.sha256,
    what: `Gemma Scope SAE ${sae.id} (${sae.path} of ${sae.repo}, revision ${revision})`,
  }))!;
}

/**
 * Downloads (or finds in the cache) and loads the SAE, checking that the file has the registry's d_model and
 * d_sae, with its hook, model and Neuronpedia ids filled in.
 *
 * @example
 * ```ts
 * const spec = await loadGemmaScopeSae(findGemmaScopeSae({ model: "gemma-2-2b", layer: 12, width: "16k" }));
 * spec.neuronpediaId; // "gemma-2-2b/12-gemmascope-res-16k"
 * ```
 */
export async function loadGemmaScopeSae(
  sae: GemmaScopeSae,
  options: GemmaScopeDownloadOptions = {},
): Promise<SaeSpec> {
  return await loadGemmaScopeNpz(await downloadGemmaScopeSae(sae, options), {
    id: sae.id,
    hookName: sae.hookName,
    modelId: sae.modelId,
    neuronpediaId: sae.neuronpediaId,
    dIn: sae.dModel,
    dSae: sae.dSae,
  });
}

function widthName(features: number): string | undefined {
  return Object.entries(GEMMA_SCOPE_WIDTHS).find(([, n]) => n === features)?.[0];
}

/** `layers 0-25 at 16k; layer 12 at 32k; …` */
function describe(releases: ModelReleases): string {
  return Object.entries(releases.averageL0).map(([width, layers]) => {
    const list = Object.keys(layers).map(Number).sort((a, b) => a - b);
    const contiguous = list.length > 2 && list.every((layer, i) => layer === list[0] + i);
    const text = contiguous ? `${list[0]}-${list.at(-1)}` : list.join(", ");
    return `${list.length === 1 ? "layer" : "layers"} ${text} at ${width}`;
  }).join("; ");
}

function checkModel(path: string, model: string, value: unknown): ModelReleases {
  const bad = (problem: string) => new ConfigError(`${path}: model "${model}": ${problem}`);
  if (!isRecord(value)) {
    throw bad("expected a mapping with release, repo, layers, dModel, hook, neuronpedia, averageL0");
  }
  const text = (key: string, pattern: RegExp, what: string) => {
    const v = value[key];
    if (typeof v !== "string" || !pattern.test(v)) throw bad(`"${key}" must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const count = (key: string) => {
    const v = value[key];
    if (!Number.isInteger(v) || (v as number) <= 0) {
      throw bad(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const releases: ModelReleases = {
    release: text("release", /^[\w.-]+$/, "a release name"),
    repo: text("repo", /^[\w.-]+\/[\w.-]+$/, "a Hub repository id (owner/name)"),
    layers: count("layers"),
    dModel: count("dModel"),
    hook: text("hook", /\{layer\}/, "a hook name with {layer}"),
    neuronpedia: text("neuronpedia", /\{layer\}.*\{width\}/, "a Neuronpedia source id with {layer} and {width}"),
    averageL0: {},
  };
  if (!isRecord(value.averageL0)) throw bad(`"averageL0" must map widths to {layer: average L0}`);
  for (const [width, layers] of Object.entries(value.averageL0)) {
    if (!(width in GEMMA_SCOPE_WIDTHS)) {
      throw bad(`unknown width "${width}"; expected one of ${Object.keys(GEMMA_SCOPE_WIDTHS).join(", ")}`);
    }
    if (!isRecord(layers)) throw bad(`averageL0.${width} must map layers to average L0s`);
    for (const [layer, l0] of Object.entries(layers)) {
      if (!/^\d+$/.test(layer) || Number(layer) >= releases.layers) {
        throw bad(`averageL0.${width}: layer ${layer} is not one of 0..${releases.layers - 1}`);
      }
      if (!Number.isInteger(l0) || (l0 as number) <= 0) {
        throw bad(`averageL0.${width}.${layer} must be a positive integer (the average L0), got ${JSON.stringify(l0)}`);
      }
    }
    releases.averageL0[width] = layers as Record<string, number>;
  }
  if (value.files !== undefined) {
    if (!isRecord(value.files)) throw bad(`"files" must map params.npz paths to { size, sha256 }`);
    for (const [file, facts] of Object.entries(value.files)) {
      const ok = isRecord(facts) &&
        (facts.size === undefined || Number.isInteger(facts.size)) &&
        (facts.sha256 === undefined || (typeof facts.sha256 === "string" && /^[0-9a-f]{64}$/i.test(facts.sha256)));
      if (!ok) throw bad(`files."${file}" must be { size: bytes, sha256: 64 hex digits }, either optional`);
    }
    releases.files = value.files as ModelReleases["files"];
  }
  return releases;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
