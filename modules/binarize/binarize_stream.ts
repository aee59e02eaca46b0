/**
 * Batches of pooled vectors -> index sets under several rules at once, in one pass.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { type Binarizer, makeBinarizer } from "./binarize.ts";
import { type BinarizeSpec, binarizeSpecLabel } from "./binarize_spec.ts";
import { restrictToSorted } from "./restrict_to_features.ts";
import type { IndexSets, SparseVector } from "./sparse_vector.ts";

/** One output of a {@linkcode BinarizeStream}: a rule, its fitted thresholds, optionally a feature subset. */
export interface BinarizeOutput {
  /** Key in `binarized` (a shard column, say); default {@linkcode binarizeSpecLabel} of `spec`. Unique. */
  name?: string;
  spec: BinarizeSpec;
  /** Required for `per-feature`: thresholds fitted on the training split. */
  thresholds?: Float32Array;
  /** Keep only these features (e.g. `selectTopKByMeanDifference`'s choice); default all. */
  features?: Int32Array;
}

/** Options of {@linkcode BinarizeStream}. */
export interface BinarizeStreamOptions {
  outputs: readonly BinarizeOutput[];
}

/** What a {@linkcode BinarizeStream} reads: any object carrying a batch of records' vectors (other fields pass through). */
export interface BinarizeInput {
  vectors: readonly SparseVector[];
}

/** The input batch with, per output name, the batch's index sets (CSR, one row per vector). */
export type Binarized<B extends BinarizeInput> = B & { binarized: ReadonlyMap<string, IndexSets> };

/**
 * Maps each batch to index sets under every output's rule at once. Stateless apart from the record count used in
 * error locations: one batch in flight, memory bounded by the batch. Each input chunk is shallow-copied into the
 * output chunk (a plain object), with `binarized` added. Data errors name the record's 1-based position in the stream.
 *
 * @example
 * ```ts
 * const stream = new BinarizeStream({ outputs: [{ spec: { rule: "gt", threshold: 1 } }, { spec: { rule: "presence" } }] });
 * const [batch] = await Array.fromAsync(
 *   ReadableStream.from([{ vectors: [{ indices: new Int32Array([2, 5]), values: new Float32Array([0.5, 3]) }] }])
 *     .pipeThrough(stream),
 * );
 * batch.binarized.get("gt:1")!.indices; // Int32Array [5]
 * batch.binarized.get("presence")!.indices; // Int32Array [2, 5]
 * ```
 */
export class BinarizeStream<B extends BinarizeInput = BinarizeInput> extends TransformStream<B, Binarized<B>> {
  constructor(options: BinarizeStreamOptions) {
    const outputs = compileOutputs(options);
    let recordsBefore = 0;
    super({
      transform(batch, controller) {
        const binarized = new Map<string, IndexSets>();
        for (const { name, binarizer, features } of outputs) {
          const rows: Int32Array[] = [];
          const rowPtr = new Int32Array(batch.vectors.length + 1);
          for (let r = 0; r < batch.vectors.length; r++) {
            let active = binarizer(batch.vectors[r], { row: recordsBefore + r + 1 });
            if (features) active = restrictToSorted(active, features);
            rows.push(active);
            rowPtr[r + 1] = rowPtr[r] + active.length;
          }
          const indices = new Int32Array(rowPtr[rows.length]);
          for (let r = 0; r < rows.length; r++) indices.set(rows[r], rowPtr[r]);
          binarized.set(name, { rowPtr, indices });
        }
        recordsBefore += batch.vectors.length;
        controller.enqueue({ ...batch, binarized });
      },
    });
  }
}

function compileOutputs(
  { outputs }: BinarizeStreamOptions,
): { name: string; binarizer: Binarizer; features?: Int32Array }[] {
  if (!Array.isArray(outputs) || outputs.length === 0) {
    throw new ConfigError("BinarizeStream needs at least one output (a spec to binarize with)");
  }
  const names = new Set<string>();
  return outputs.map(({ name, spec, thresholds, features }) => {
    const key = name ?? binarizeSpecLabel(spec);
    if (names.has(key)) {
      throw new ConfigError(`BinarizeStream: two outputs are named ${JSON.stringify(key)}; give each a unique name`);
    }
    names.add(key);
    return {
      name: key,
      binarizer: makeBinarizer(spec, thresholds),
      features: features && Int32Array.from(features).sort(),
    };
  });
}
