/**
 * Naive pooling reference: works on DENSE `[tokens, dSae]` arrays (zeros where a feature is absent) with plain loops
 * and full sorts, sharing no code with `@saeflow/pool`. Written from the spec in MOSAIC.md and the pool docs.
 */
import type { PoolSpec } from "@saeflow/pool";

/** A token's dense feature row. */
export type DenseRows = number[][];

/** Which token positions the mask keeps (BOS out unless includeBos/mosaicCompat), then the window. */
export function pooledPositions(length: number, spec: PoolSpec, hasBos: boolean): number[] {
  const keepBos = spec.includeBos === true || spec.mosaicCompat === true;
  let kept: number[] = [];
  for (let t = 0; t < length; t++) if (!(hasBos && t === 0 && !keepBos)) kept.push(t);
  if (spec.strategy === "first-k") kept = kept.slice(0, spec.k);
  if (spec.strategy === "last-k") kept = kept.slice(Math.max(0, kept.length - spec.k!));
  if (spec.strategy === "last") kept = kept.slice(-1);
  return kept;
}

/** The pooled dense vector (length dSae, float64 before rounding) and the number of tokens pooled. */
export function naivePool(rows: DenseRows, dSae: number, spec: PoolSpec, hasBos: boolean): {
  dense: number[];
  tokens: number;
} {
  const positions = pooledPositions(rows.length, spec, hasBos);
  const out = new Array<number>(dSae).fill(0);
  for (const t of positions) {
    const row = rows[t];
    switch (spec.strategy) {
      case "sum":
      case "mean":
      case "last":
      case "first-k":
      case "last-k":
        for (let f = 0; f < dSae; f++) out[f] += row[f];
        break;
      case "max":
        for (let f = 0; f < dSae; f++) out[f] = Math.max(out[f], row[f]);
        break;
      case "topn-count": {
        // Full sort of every feature: value descending, then id ascending (the documented tie rule).
        const ranked = [...Array(dSae).keys()].sort((a, b) => row[b] - row[a] || a - b);
        const chosen = spec.mosaicCompat ? ranked.slice(0, spec.n) : ranked.filter((f) => row[f] > 0).slice(0, spec.n);
        for (const f of chosen) out[f] += 1;
        break;
      }
    }
  }
  if (spec.strategy === "mean" && positions.length > 0) { for (let f = 0; f < dSae; f++) out[f] /= positions.length; }
  return { dense: out, tokens: positions.length };
}
