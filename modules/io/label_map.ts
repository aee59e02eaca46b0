/**
 * Explicit label maps: raw label values (numbers, codes) to class names. A value outside the map is an error,
 * never a silently new class.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** `["negative", "positive"]` maps 0 → negative, 1 → positive; `{ "OFFENSE": "offensive" }` maps by value. */
export type LabelMapSpec = string[] | Record<string, string>;

/**
 * A validated label map.
 *
 * @example
 * ```ts
 * const labels = LabelMap.from(["negative", "positive"]);
 * labels.map(1);       // "positive"
 * labels.map("2");     // undefined (the caller reports it)
 * labels.names;        // ["negative", "positive"]
 * ```
 */
export class LabelMap {
  private constructor(private readonly table: Map<string, string>) {}

  /** Builds a map from a list (index → name) or an object (raw value → name). */
  static from(spec: LabelMapSpec): LabelMap {
    const entries = Array.isArray(spec) ? spec.map((name, i) => [String(i), name] as const) : Object.entries(spec);
    if (entries.length === 0) throw new ConfigError("label map is empty; expected at least one raw value → class name");
    for (const [raw, name] of entries) {
      if (typeof name !== "string" || name === "") {
        throw new ConfigError(
          `label map entry ${JSON.stringify(raw)} → ${JSON.stringify(name)}: expected a non-empty class name`,
        );
      }
    }
    return new LabelMap(new Map(entries));
  }

  /** Reads a TweetEval-style `mapping.txt`: one `raw<TAB>name` per line. */
  static async fromMappingFile(path: string): Promise<LabelMap> {
    const entries: [string, string][] = [];
    for (const [i, line] of (await Deno.readTextFile(path)).split(/\r?\n/).entries()) {
      if (line.trim() === "") continue;
      const tab = line.indexOf("\t");
      if (tab <= 0) throw new ConfigError(`${path}:${i + 1}: expected "raw<TAB>name", got ${JSON.stringify(line)}`);
      entries.push([line.slice(0, tab).trim(), line.slice(tab + 1).trim()]);
    }
    return LabelMap.from(Object.fromEntries(entries));
  }

  /** The class name of a raw value (numbers and strings compare by their text), or undefined when unmapped. */
  map(raw: unknown): string | undefined {
    return this.table.get(String(raw).trim());
  }

  /** Class names in declaration order, without repeats. */
  get names(): string[] {
    return [...new Set(this.table.values())];
  }

  /** The raw values the map accepts, for error messages. */
  get rawValues(): string[] {
    return [...this.table.keys()];
  }
}
