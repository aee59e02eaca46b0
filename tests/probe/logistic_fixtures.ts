/**
 * Shared fixtures of the logistic-regression tests: real features (SST-2 TF-IDF, sparse; sklearn digits, dense)
 * split 80/20 stratified with seed 42, and the hand-off of matrices to the scikit-learn reference through raw
 * little-endian files in a temp directory.
 */
import { openTextDataset, stratifiedSplit } from "@saeflow/io";
import { TfidfVectorizer } from "@saeflow/pool";
import type { DenseMatrix, FeatureMatrix, SparseMatrix } from "../../modules/probe/feature_matrix.ts";
import { mulberry32 } from "../random.ts";
import { sharedData } from "../helpers.ts";

/** Rows and their class ids. */
export interface Split {
  X: FeatureMatrix;
  y: Int32Array;
}

/** A train/test pair. */
export interface TrainTest {
  train: Split;
  test: Split;
}

/** CSR of sparse rows given as (indices, values) pairs. */
export function csr(rows: { indices: Int32Array; values: Float32Array }[], cols: number): SparseMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.indices.length));
  const indices = new Int32Array(rowPtr[rows.length]);
  const values = new Float32Array(rowPtr[rows.length]);
  rows.forEach((r, i) => {
    indices.set(r.indices, rowPtr[i]);
    values.set(r.values, rowPtr[i]);
  });
  return { kind: "sparse", rows: rows.length, cols, rowPtr, indices, values };
}

let sst2Cache: Promise<TrainTest> | undefined;

/** SST-2 dev (872 sentences): MOSAIC's split, TF-IDF (1–2-grams, English stop words, 2000 terms) fitted on train. */
export function sst2Tfidf(): Promise<TrainTest> {
  return sst2Cache ??= (async () => {
    const { records } = await openTextDataset({
      sources: [{ path: sharedData("sst2/sst2_dev.tsv") }],
      fields: { text: "text", label: "label" },
      labels: ["negative", "positive"],
    });
    const all = await Array.fromAsync(records);
    const split = stratifiedSplit(all, { seed: 42, fractions: { train: 0.8, test: 0.2 }, presets: "reassign" });
    const part = (name: string) => all.filter((r) => split.get(r.id) === name);
    const model = await TfidfVectorizer.fit(part("train").map((r) => r.text), { maxFeatures: 2000 });
    const features = (name: string): Split => ({
      X: csr(part(name).map((r) => model.transform(r.text)), model.size),
      y: Int32Array.from(part(name), (r) => (r.label === "positive" ? 1 : 0)),
    });
    return { train: features("train"), test: features("test") };
  })();
}

let digitsCache: Promise<TrainTest> | undefined;

/** sklearn's digits (1797 8×8 images, 64 dense pixel columns 0..16, 10 classes), MOSAIC's split. */
export function digits(): Promise<TrainTest> {
  return digitsCache ??= (async () => {
    const file = await Deno.open(sharedData("sklearn-digits/digits.csv.gz"));
    const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
    const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
    const split = stratifiedSplit(
      rows.map((row, i) => ({ id: `digits:${i}`, label: String(row[64]) })),
      { seed: 42, fractions: { train: 0.8, test: 0.2 } },
    );
    const features = (name: string): Split => {
      const kept = rows.filter((_, i) => split.get(`digits:${i}`) === name);
      const data = new Float32Array(kept.length * 64);
      kept.forEach((row, i) => data.set(row.slice(0, 64), i * 64));
      const X: DenseMatrix = { kind: "dense", rows: kept.length, cols: 64, data };
      return { X, y: Int32Array.from(kept, (row) => row[64]) };
    };
    return { train: features("train"), test: features("test") };
  })();
}

/**
 * A `rows × cols` binarized CSR matrix (no values) with `perRow` random features per row, and labels that depend
 * on a quarter of the columns (so there is something to learn).
 */
export function randomBinary(rows: number, cols: number, perRow: number, seed: number): Split {
  const uniform = mulberry32(seed);
  const rowPtr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * perRow);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const picked = new Set<number>();
    while (picked.size < perRow) picked.add(Math.floor(uniform() * cols));
    const sorted = Int32Array.from(picked).sort();
    indices.set(sorted, i * perRow);
    rowPtr[i + 1] = (i + 1) * perRow;
    const signal = sorted.reduce((n, f) => n + (f < cols / 8 ? 1 : f < cols / 4 ? -1 : 0), 0);
    y[i] = signal + (uniform() - 0.5) > 0 ? 1 : 0;
  }
  return { X: { kind: "sparse", rows, cols, rowPtr, indices }, y };
}

/** What the Python side can load by name. */
export type PythonArray = FeatureMatrix | Int32Array | Float64Array;

/**
 * Writes arrays as raw little-endian files plus `meta.json` into `dir`, for {@link PY_LOAD}'s `load(name)`: CSR
 * → `scipy.sparse.csr_matrix` (float64), dense → `numpy` float64 `[rows, cols]`, typed arrays → 1-d numpy arrays.
 */
export async function writeForPython(dir: string, arrays: Record<string, PythonArray>): Promise<void> {
  const meta: Record<string, unknown> = {};
  const write = (name: string, part: string, array: ArrayBufferView) =>
    Deno.writeFile(`${dir}/${name}.${part}`, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  for (const [name, a] of Object.entries(arrays)) {
    if (a instanceof Int32Array || a instanceof Float64Array) {
      meta[name] = { kind: "vector", dtype: a instanceof Int32Array ? "<i4" : "<f8" };
      await write(name, "data", a);
    } else if (a.kind === "dense") {
      meta[name] = { kind: "dense", rows: a.rows, cols: a.cols };
      await write(name, "data", a.data);
    } else {
      meta[name] = { kind: "sparse", rows: a.rows, cols: a.cols, nnz: a.indices.length, values: !!a.values };
      await write(name, "rowPtr", a.rowPtr);
      await write(name, "indices", a.indices);
      if (a.values) await write(name, "values", a.values);
    }
  }
  await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify(meta));
}

/**
 * Python prelude: `load(name)` reads what {@link writeForPython} wrote to the directory in `sys.argv[1]`, and
 * `objective(coef, intercept, X, y, C, l1_ratio, sample_weight)` is the objective both sides minimise, in numpy
 * (binary log-loss for one coefficient row, softmax cross-entropy otherwise).
 */
export const PY_LOAD = String.raw`
import json, sys
import numpy as np
import scipy.sparse as sp

DIR = sys.argv[1]
META = json.load(open(DIR + "/meta.json"))

def load(name):
    m = META[name]
    raw = lambda part, dtype: np.fromfile(DIR + "/" + name + "." + part, dtype=dtype)
    if m["kind"] == "vector":
        return raw("data", m["dtype"])
    if m["kind"] == "dense":
        return raw("data", "<f4").astype(np.float64).reshape(m["rows"], m["cols"])
    data = raw("values", "<f4").astype(np.float64) if m["values"] else np.ones(m["nnz"])
    return sp.csr_matrix((data, raw("indices", "<i4"), raw("rowPtr", "<i4")), shape=(m["rows"], m["cols"]))

def objective(coef, intercept, X, y, C, l1_ratio, sample_weight):
    coef, intercept = np.asarray(coef, dtype=np.float64), np.asarray(intercept, dtype=np.float64)
    Z = np.asarray(X @ coef.T) + intercept
    if coef.shape[0] == 1:
        z = Z[:, 0]
        loss = np.logaddexp(0, z) - y * z
    else:
        loss = np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), y]
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * (coef ** 2).sum()
    return float(C * (sample_weight * loss).sum() + penalty)

def balanced(y):
    classes, counts = np.unique(y, return_counts=True)
    weight = dict(zip(classes, len(y) / (len(classes) * counts)))
    return np.array([weight[k] for k in y])
`;
