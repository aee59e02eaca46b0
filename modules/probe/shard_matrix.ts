/**
 * Shard sets (as `deno task extract` writes them) → one labelled design matrix per split, sparse or dense as the
 * shards are, with one class list for every split so that class ids mean the same thing in train and test.
 * @module
 */
import { compareCodePoints } from "@saeflow/pool";
import { ConfigError, DataError } from "@saeflow/core";
import { openShardSet, readShards, type ShardSet } from "@saeflow/io";
import type { FeatureMatrix, LabeledMatrix } from "./feature_matrix.ts";

/** A shard set's rows, split by split. */
export interface SplitMatrices {
  /** The shard directory. */
  dir: string;
  /** Class names; ids index into it. */
  classes: readonly string[];
  /** Split name → its rows, in shard order. */
  splits: Map<string, LabeledMatrix>;
  /** The shard set's manifest metadata (feature kind, hook, SAE, pooling, threshold, config hash …). */
  metadata: Record<string, unknown>;
}

/** Options of {@link loadSplitMatrices}. */
export interface LoadSplitOptions {
  /**
   * Class names in id order. Default: the dataset's label names from the manifest, else every label seen, sorted by
   * code point. Give the same list to every shard set that a model trained on one is evaluated on (transfer).
   */
  classes?: readonly string[];
}

/**
 * Loads every row of a finished shard set into per-split matrices. A row without a label, or with a label outside
 * `classes`, is a DataError naming the record and the directory; a shard set without features is a ConfigError.
 *
 * @example
 * ```ts
 * const { splits, classes } = await loadSplitMatrices("out/sst2/sae/l1.random-512-k32-s0/sum.no-bos/gt-1");
 * const train = splits.get("train")!; // { X: sparse CSR, y, classes, ids }
 * ```
 */
export async function loadSplitMatrices(dir: string, options: LoadSplitOptions = {}): Promise<SplitMatrices> {
  const set = await openShardSet(dir);
  const { layout, metadata } = set.manifest;
  const kind = layout.sparse ? "sparse" : layout.denseDim !== undefined ? "dense" : undefined;
  if (!kind) throw new ConfigError(`${dir} holds no feature columns (layout ${JSON.stringify(layout)})`);
  const cols = kind === "sparse" ? layout.sparseWidth : layout.denseDim;
  if (cols === undefined) throw new ConfigError(`${dir}: the layout does not record the feature width`);
  const classes = options.classes ?? defaultClasses(set);
  const classId = new Map(classes.map((c, i) => [c, i]));
  const builders = new Map<string, SplitBuilder>();
  const columns = ["id", "label", "split", ...(kind === "dense" ? ["dense"] : ["feat_idx"])];
  if (layout.sparse === "values") columns.push("feat_val");
  for await (const table of readShards(set, { columns })) {
    const ids = table.array("id") as string[], labels = table.array("label") as (string | null)[];
    const splitsOf = table.array("split") as (string | null)[];
    for (let r = 0; r < ids.length; r++) {
      const label = labels[r];
      const y = label === null ? undefined : classId.get(label);
      if (y === undefined) {
        throw new DataError(
          dir,
          { id: ids[r] },
          label === null ? "record has no label" : `label ${JSON.stringify(label)} is not a known class`,
          `one of ${classes.join(", ")}`,
        );
      }
      const split = splitsOf[r] ?? "";
      let builder = builders.get(split);
      if (!builder) builders.set(split, builder = new SplitBuilder(kind, cols, layout.sparse === "values"));
      builder.add(ids[r], y, table, r);
    }
  }
  const splits = new Map([...builders].map(([name, b]) => [name, b.finish(classes)]));
  return { dir, classes, splits, metadata: metadata as Record<string, unknown> };
}

function defaultClasses(set: ShardSet): string[] {
  const named = (set.manifest.extra.dataset as { labelNames?: string[] } | undefined)?.labelNames;
  if (named?.length) return [...named];
  const seen = new Set<string>();
  for (const counts of Object.values(set.manifest.classCounts)) {
    for (const label of Object.keys(counts)) if (label !== "") seen.add(label);
  }
  return [...seen].sort(compareCodePoints);
}

/** Accumulates one split's rows in growable typed arrays. */
class SplitBuilder {
  readonly ids: string[] = [];
  readonly labels: number[] = [];
  readonly rowPtr: number[] = [0];
  indices = new Int32Array(1024);
  values = new Float32Array(1024);
  nnz = 0;

  constructor(readonly kind: "sparse" | "dense", readonly cols: number, readonly hasValues: boolean) {}

  add(id: string, y: number, table: { get(column: string, row: number): unknown }, row: number): void {
    this.ids.push(id);
    this.labels.push(y);
    if (this.kind === "dense") {
      const dense = table.get("dense", row) as ArrayLike<number>;
      this.#push(dense, dense);
    } else {
      const featVal = this.hasValues ? table.get("feat_val", row) as ArrayLike<number> : undefined;
      this.#push(table.get("feat_idx", row) as ArrayLike<number>, featVal);
    }
    this.rowPtr.push(this.nnz);
  }

  #push(indices: ArrayLike<number>, values: ArrayLike<number> | undefined): void {
    const need = this.nnz + indices.length;
    if (need > this.indices.length) {
      const grown = Math.max(need, this.indices.length * 2);
      this.indices = copyInto(new Int32Array(grown), this.indices, this.nnz);
      this.values = copyInto(new Float32Array(grown), this.values, this.nnz);
    }
    for (let i = 0; i < indices.length; i++) {
      this.indices[this.nnz + i] = this.kind === "dense" ? i : indices[i];
      if (values) this.values[this.nnz + i] = values[i];
    }
    this.nnz = need;
  }

  finish(classes: readonly string[]): LabeledMatrix {
    const rows = this.ids.length;
    const X: FeatureMatrix = this.kind === "dense"
      ? { kind: "dense", rows, cols: this.cols, data: this.values.slice(0, this.nnz) }
      : {
        kind: "sparse",
        rows,
        cols: this.cols,
        rowPtr: Int32Array.from(this.rowPtr),
        indices: this.indices.slice(0, this.nnz),
        ...(this.hasValues ? { values: this.values.slice(0, this.nnz) } : {}),
      };
    return { X, y: Int32Array.from(this.labels), classes, ids: this.ids };
  }
}

function copyInto<T extends Int32Array | Float32Array>(target: T, source: T, length: number): T {
  target.set(source.subarray(0, length));
  return target;
}
