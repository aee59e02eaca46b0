/**
 * An SAE saved as a folder (SAELens and sparsify both write `cfg.json` beside one safetensors file): the folder
 * checked, its config read, its weights file located, and the config's fields read with their types checked. A
 * folder that holds several SAEs in subfolders (a SAELens release, a sparsify run) is answered with the list to pick
 * from.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import { checkHubName, downloadModelFile, type HubOptions, readJsonFile, statIfExists } from "@saeflow/io";

/** What a format's folder holds, for lookups and messages. */
export interface SaeFolderFormat {
  /** `"SAELens"`, `"sparsify"`. */
  name: string;
  /** The weights file beside `cfg.json` (`sae_weights.safetensors`, `sae.safetensors`). */
  weights: string;
}

/** An SAE folder whose `cfg.json` parsed and whose weights file exists. */
export interface SaeFolder {
  /** The folder, absolute. */
  folder: string;
  cfgPath: string;
  cfg: CfgFields;
  weightsPath: string;
}

/** The name of an SAE's config file in both formats. */
export const SAE_CFG_FILE = "cfg.json";

/**
 * Opens the SAE in `folder`: a ConfigError when the folder, its `cfg.json` or its weights file is missing (listing
 * the subfolders that do hold an SAE, if any), a DataError when `cfg.json` is not a JSON object.
 *
 * @example
 * ```ts
 * const { cfg, weightsPath } = await openSaeFolder("out/sae/layers.6", { name: "sparsify", weights: "sae.safetensors" });
 * cfg.positiveInt("d_in"); // 2304
 * ```
 */
export async function openSaeFolder(folder: string, format: SaeFolderFormat): Promise<SaeFolder> {
  const absolute = resolve(folder);
  const expected = `a ${format.name} SAE folder (${SAE_CFG_FILE} and ${format.weights})`;
  const info = await statIfExists(absolute);
  if (!info?.isDirectory) {
    throw new ConfigError(`${folder}: ${info ? "not a folder" : "no such folder"}; expected ${expected}`);
  }
  const cfgPath = join(absolute, SAE_CFG_FILE);
  const raw = await readJsonFile(cfgPath, `${format.name}'s config object`);
  if (raw === undefined) {
    const inside = await subfoldersWithConfig(absolute);
    throw new ConfigError(
      inside.length > 0
        ? `${folder} has no ${SAE_CFG_FILE} but holds ${inside.length} SAE folder(s): ${inside.join(", ")}; ` +
          `pass one of them`
        : `${folder}: no ${SAE_CFG_FILE}; expected ${expected}`,
    );
  }
  const weightsPath = join(absolute, format.weights);
  if (!(await statIfExists(weightsPath))?.isFile) {
    throw new ConfigError(`${folder}: no ${format.weights} beside ${SAE_CFG_FILE}; expected ${expected}`);
  }
  return { folder: absolute, cfgPath, cfg: new CfgFields(cfgPath, raw), weightsPath };
}

/**
 * The fields of a `cfg.json` object, read with their types checked: absent (or `null`) reads as undefined, a value
 * of the wrong type is a DataError naming the file and the key.
 *
 * @example
 * ```ts
 * const cfg = new CfgFields("cfg.json", { d_in: 4, metadata: { hook_name: "blocks.0.hook_resid_post" } });
 * cfg.positiveInt("d_in"); // 4
 * cfg.object("metadata")?.string("hook_name"); // "blocks.0.hook_resid_post"
 * ```
 */
export class CfgFields {
  constructor(
    /** The file, for messages. */
    readonly path: string,
    readonly values: Readonly<Record<string, unknown>>,
    /** Where these fields sit in the file (`metadata.`), for messages. */
    readonly prefix = "",
  ) {}

  /** Whether `key` is present and not null. */
  has(key: string): boolean {
    return this.#get(key) !== undefined;
  }

  /** The raw value, undefined when absent or null. */
  raw(key: string): unknown {
    return this.#get(key);
  }

  string(key: string): string | undefined {
    return this.#typed(key, "a string", (v): v is string => typeof v === "string");
  }

  boolean(key: string): boolean | undefined {
    return this.#typed(key, "true or false", (v): v is boolean => typeof v === "boolean");
  }

  /** A positive integer; `0` too when `allowZero` (sparsify's "unset" for `num_latents`). */
  positiveInt(key: string, { allowZero = false }: { allowZero?: boolean } = {}): number | undefined {
    return this.#typed(
      key,
      allowZero ? "an integer >= 0" : "a positive integer",
      (v): v is number => Number.isSafeInteger(v) && (v as number) >= (allowZero ? 0 : 1),
    );
  }

  /** A nested object, read the same way. */
  object(key: string): CfgFields | undefined {
    const value = this.#typed(key, "a JSON object", isPlainObject);
    return value && new CfgFields(this.path, value, `${this.prefix}${key}.`);
  }

  /** A DataError about `key`'s value. */
  error(key: string, problem: string, expected: string): DataError {
    return new DataError(this.path, {}, `${this.prefix}${key} ${problem}`, expected);
  }

  #get(key: string): unknown {
    const value = Object.hasOwn(this.values, key) ? this.values[key] : undefined;
    return value === null ? undefined : value;
  }

  #typed<T>(key: string, expected: string, check: (value: unknown) => value is T): T | undefined {
    const value = this.#get(key);
    if (value === undefined) return undefined;
    if (!check(value)) throw this.error(key, `is ${describe(value)}`, expected);
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Subfolders of `folder` that hold a `cfg.json`, in natural order (layers.2 before layers.10). */
async function subfoldersWithConfig(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isDirectory && (await statIfExists(join(folder, entry.name, SAE_CFG_FILE)))?.isFile) {
      names.push(entry.name);
    }
  }
  return names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** Options for {@link downloadSaeFolder}. */
export interface SaeFolderDownloadOptions {
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  hub?: HubOptions;
}

/**
 * Downloads one SAE folder of a Hub repository — `{subfolder}/cfg.json` and the weights file beside it — into the
 * cache (resumable, `HF_TOKEN`, offline from cache) and returns the local folder for `loadSaeLens` / `loadSparsify`.
 *
 * @example
 * ```ts
 * const folder = await downloadSaeFolder("EleutherAI/sae-llama-3-8b-32x", "layers.24", "sae.safetensors");
 * const spec = await loadSparsify(folder);
 * ```
 */
export async function downloadSaeFolder(
  repo: string,
  subfolder: string,
  weightsFile: string,
  options: SaeFolderDownloadOptions = {},
): Promise<string> {
  checkHubName("SAE subfolder", subfolder, /^[\w.-]+(\/[\w.-]+)*$/, "a path inside the repository");
  const cfg = (await downloadModelFile(repo, `${subfolder}/${SAE_CFG_FILE}`, options))!;
  await downloadModelFile(repo, `${subfolder}/${weightsFile}`, options);
  return dirname(cfg);
}
