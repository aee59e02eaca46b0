/**
 * Named datasets (`data/datasets.yaml`): a dataset spec per name, so `--dataset banking77` is all a user types.
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { ConfigError } from "@saeflow/core";
import type { DatasetSpec, SourceSpec } from "./open_dataset.ts";

/** A registry entry: a dataset spec plus a line saying what it is. */
export interface RegistryEntry extends DatasetSpec {
  description?: string;
}

/**
 * Loads a YAML (or JSON) registry. Relative paths in it are resolved against the registry file's directory.
 *
 * @example
 * ```ts
 * const registry = await loadDatasetRegistry("data/datasets.yaml");
 * const spec = registry.get("sentiment-fixtures");
 * ```
 */
export async function loadDatasetRegistry(path: string): Promise<Map<string, RegistryEntry>> {
  let raw: unknown;
  try {
    raw = parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the dataset registry (${(error as Error).message})`, { cause: error });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${path}: expected a mapping of dataset names to specs`);
  }
  const base = dirname(path);
  const entries = Object.entries(raw as Record<string, RegistryEntry>).map(([name, entry]) => {
    if (!Array.isArray(entry?.sources) || typeof entry.fields !== "object") {
      throw new ConfigError(`${path}: dataset "${name}" needs "sources" (a list) and "fields" (the column mapping)`);
    }
    const resolve = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : join(base, p));
    const sources = entry.sources.map((s: SourceSpec) => ({
      ...s,
      path: resolve(s.path),
      labelsPath: resolve(s.labelsPath),
    }));
    const labels = entry.labels && "file" in entry.labels
      ? { file: resolve((entry.labels as { file: string }).file)! }
      : entry.labels;
    return [name, { ...entry, name, sources, labels }] as const;
  });
  return new Map(entries);
}
