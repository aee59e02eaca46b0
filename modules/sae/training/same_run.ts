/**
 * Whether a checkpoint belongs to the run about to resume from it: the same data (a key hashing where the batches
 * come from) and the same settings. A resumed run must be the same run, or its result means nothing.
 * @module
 */
import { canonicalJson, ConfigError } from "@saeflow/core";

/** The run a checkpoint records, against the run that wants to resume it. */
export interface SameRunCheck {
  /** Data keys (absent now: the caller does not track its data, anything goes); `means` says what the key covers. */
  dataKey?: { there: string | null; now?: string; means: string };
  /** Settings compared key by key; `prefix` names the group in the message (`model `). */
  settings: { there: object; now: object; prefix?: string }[];
}

/**
 * Refuses the checkpoint at `path` with a ConfigError when its data key differs, or naming every setting that
 * differs (`learningRate 0.003 there, 0.001 now`).
 *
 * @example
 * ```ts
 * checkSameRun("out/checkpoint.safetensors", { settings: [{ there: saved.config, now: config }] });
 * ```
 */
export function checkSameRun(path: string, { dataKey, settings }: SameRunCheck): void {
  if (dataKey?.now !== undefined && dataKey.there !== dataKey.now) {
    throw new ConfigError(
      `${path} is a checkpoint of a run on other data (data key ${dataKey.there} there, ${dataKey.now} now: ` +
        `${dataKey.means}); use another output directory, or the same settings`,
    );
  }
  const differing = settings.flatMap(({ there, now, prefix = "" }) => {
    const [a, b] = [there as Record<string, unknown>, now as Record<string, unknown>];
    return Object.keys({ ...a, ...b })
      .filter((key) => canonicalJson(a[key]) !== canonicalJson(b[key]))
      .map((key) => `${prefix}${key} ${JSON.stringify(a[key])} there, ${JSON.stringify(b[key])} now`);
  });
  if (differing.length > 0) {
    throw new ConfigError(
      `${path} is a checkpoint of another training run: ${differing.join("; ")}; use another output directory, ` +
        `or the same settings`,
    );
  }
}
