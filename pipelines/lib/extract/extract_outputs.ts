/**
 * The shard sets an extract run writes, one directory each, and how a record's row of each is cut from an
 * {@link ExtractedBatch}:
 * - `sae/<sae id>/<pooling>/values`: pooled activations (sparse, with values);
 * - `sae/<sae id>/<pooling>/<rule>`: binarized index sets (MOSAIC: `gt-1`);
 * - `hidden/<layer>/<last|mean>`: dense hidden-state baselines;
 * - `tfidf`: TF-IDF vectors (sparse, with values), vocabulary and idf in `tfidf_model.json` beside;
 * - `text`: id, label, split and text, for reports and inspection.
 * @module
 */
import { type BinarizeSpec, binarizeSpecLabel, makeBinarizer } from "@saeflow/binarize";
import type { FeatureRow, ShardLayout, ShardMetadata } from "@saeflow/io";
import type { PoolSpec } from "@saeflow/pool";
import type { HookedSae } from "@saeflow/sae";
import type { ExtractedBatch, HiddenPool } from "./extracted_batch.ts";
import { layerTag } from "../sae_sources.ts";

/** One shard set of the run. */
export interface ExtractOutput {
  /** Directory under the run's output folder. */
  path: string;
  layout: ShardLayout;
  /** Provenance (the config hash is added by the pipeline). */
  metadata: Omit<ShardMetadata, "configHash">;
  /** The feature columns of record `i` of `batch`. */
  features(batch: ExtractedBatch, i: number): Pick<FeatureRow, "featIdx" | "featVal" | "dense" | "text">;
}

/** `topn-count(n=5)[mask=no-bos]` → `topn-count-n5.no-bos`: pool names as directory names. */
export function poolSlug(poolName: string): string {
  return poolName.replace(/\((\w)=(\d+)\)/, "-$1$2").replace(/\[(?:mask=)?([^\]]+)\]/, ".$1");
}

/** `gt:1` → `gt-1`. */
export function binarizeSlug(spec: BinarizeSpec): string {
  return binarizeSpecLabel(spec).replace(":", "-");
}

/** Pooled SAE features of every SAE × pooling, continuous (when asked) and under every fixed binarize rule. */
export function saeOutputs(
  saes: readonly HookedSae[],
  pools: ReadonlyMap<string, PoolSpec>,
  { binarize, continuous }: { binarize: readonly BinarizeSpec[]; continuous: boolean },
  common: Omit<ShardMetadata, "configHash">,
): ExtractOutput[] {
  const outputs: ExtractOutput[] = [];
  for (const { id, hook, encoder: { spec } } of saes) {
    for (const [poolName, pool] of pools) {
      const at = (batch: ExtractedBatch, i: number) => batch.pooled.get(id)!.get(poolName)![i];
      const metadata = {
        ...common,
        hook,
        sae: spec.id,
        saeSource: spec.source,
        saeWidth: spec.dSae,
        neuronpediaId: spec.neuronpediaId,
        pooling: poolName,
        tokenMask: pool.mosaicCompat ? "mosaic-compat" : pool.includeBos ? "bos" : "no-bos",
      };
      const dir = `sae/${id}/${poolSlug(poolName)}`;
      if (continuous) {
        outputs.push({
          path: `${dir}/values`,
          layout: { sparse: "values", sparseWidth: spec.dSae },
          metadata: { ...metadata, featureKind: "sae" },
          features: (batch, i) => ({ featIdx: at(batch, i).indices, featVal: at(batch, i).values }),
        });
      }
      for (const rule of binarize) {
        const binarizer = makeBinarizer(rule);
        outputs.push({
          path: `${dir}/${binarizeSlug(rule)}`,
          layout: { sparse: "indices", sparseWidth: spec.dSae },
          metadata: { ...metadata, featureKind: "sae-binary", threshold: binarizeSpecLabel(rule) },
          features: (batch, i) => ({ featIdx: binarizer(at(batch, i), { id: batch.records[i].id }) }),
        });
      }
    }
  }
  return outputs;
}

/** The dense hidden-state baselines of each hook. */
export function hiddenOutputs(
  hooks: readonly string[],
  pools: readonly HiddenPool[],
  dModel: number,
  common: Omit<ShardMetadata, "configHash">,
): ExtractOutput[] {
  return hooks.flatMap((hook) =>
    pools.map((pool): ExtractOutput => ({
      path: `hidden/${layerTag(hook)}/${pool}`,
      layout: { denseDim: dModel },
      metadata: { ...common, featureKind: `hidden-${pool}`, hook, pooling: pool === "last" ? "last-token" : "mean" },
      features: (batch, i) => ({ dense: batch.hidden.get(hook)!.get(pool)![i] }),
    }))
  );
}

/** TF-IDF vectors (a vocabulary of `width` terms, fitted on the training split). */
export function tfidfOutput(width: number, common: Omit<ShardMetadata, "configHash">): ExtractOutput {
  return {
    path: "tfidf",
    layout: { sparse: "values", sparseWidth: width },
    metadata: { ...common, featureKind: "tfidf" },
    features: (batch, i) => ({ featIdx: batch.tfidf![i].indices, featVal: batch.tfidf![i].values }),
  };
}

/** The records' text. */
export function textOutput(common: Omit<ShardMetadata, "configHash">): ExtractOutput {
  return {
    path: "text",
    layout: { text: true },
    metadata: { ...common, featureKind: "text" },
    features: (batch, i) => ({ text: batch.records[i].text }),
  };
}
