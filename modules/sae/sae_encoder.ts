/**
 * An SAE encoder session: rows of activations in, CSR features out (and, on request, each row's squared
 * reconstruction error), on ONNX Runtime.
 * @module
 */
import type { InferenceSession } from "onnxruntime-node";
import * as ort from "onnxruntime-node";
import { createSession, type ExecutionProvider } from "@saeflow/forward";
import { buildEncoderGraph, type EncoderGraph } from "./encoder_graph.ts";
import type { SaeSpec } from "./sae_spec.ts";
import type { SparseFeatures } from "./sparse_features.ts";

/** Options for {@link SaeEncoder.create}. */
export interface SaeEncoderOptions {
  executionProvider?: ExecutionProvider;
  threads?: number;
  /** Also return each row's squared reconstruction error (for the fraction of variance unexplained). */
  reconstruction?: boolean;
}

/** What one call returns. */
export interface EncodeResult {
  features: SparseFeatures;
  /** `[rows]`: `||x - x̂||²` per row, when built with `reconstruction`. */
  sqError?: Float32Array;
}

/** CSR from NonZero's row-major `[2, nnz]` positions. */
function fromNonZero(positions: BigInt64Array, values: Float32Array, rows: number, dSae: number): SparseFeatures {
  const nnz = values.length;
  const rowPtr = new Int32Array(rows + 1);
  const indices = new Int32Array(nnz);
  for (let i = 0; i < nnz; i++) {
    rowPtr[Number(positions[i]) + 1]++;
    indices[i] = Number(positions[nnz + i]);
  }
  for (let r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
  return { rows, dSae, rowPtr, indices, values };
}

/** CSR from TopK's `[rows, k]` outputs: zeros dropped, each row sorted by feature id. */
function fromTopK(topIndices: BigInt64Array, topValues: Float32Array, rows: number, k: number, dSae: number) {
  const rowPtr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const order = Array.from({ length: k }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    const active = order.filter((i) => topValues[base + i] > 0);
    active.sort((a, b) => Number(topIndices[base + a] - topIndices[base + b]));
    for (const i of active) {
      indices.push(Number(topIndices[base + i]));
      values.push(topValues[base + i]);
    }
    rowPtr[r + 1] = indices.length;
  }
  return { rows, dSae, rowPtr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

/** One SAE on one ONNX Runtime session. */
export class SaeEncoder {
  private constructor(
    readonly spec: SaeSpec,
    private readonly graph: EncoderGraph,
    private readonly session: InferenceSession,
  ) {}

  /**
   * Builds the encoder graph and starts its session.
   *
   * @example
   * ```ts
   * const encoder = await SaeEncoder.create(await loadGemmaScopeNpz("params.npz"));
   * const { features } = await encoder.encode(rowsOfActivations, rowCount);
   * ```
   */
  static async create(spec: SaeSpec, options: SaeEncoderOptions = {}): Promise<SaeEncoder> {
    const graph = buildEncoderGraph(spec, { reconstruction: options.reconstruction });
    const session = await createSession(graph.bytes, {
      executionProvider: options.executionProvider,
      threads: options.threads,
      externalDataFolder: graph.externalDataFolder,
    });
    return new SaeEncoder(spec, graph, session);
  }

  /** Encodes `rows` rows of `x` (`[rows, dIn]`, row-major). */
  async encode(x: Float32Array, rows: number): Promise<EncodeResult> {
    const { dIn, dSae } = this.spec;
    if (x.length !== rows * dIn) throw new RangeError(`encode: ${x.length} values for ${rows} rows of ${dIn}`);
    const out = await this.session.run({ x: new ort.Tensor("float32", x, [rows, dIn]) });
    const indices = out.indices.data as BigInt64Array;
    const values = out.values.data as Float32Array;
    const features = this.graph.extraction === "nonzero"
      ? fromNonZero(indices, values, rows, dSae)
      : fromTopK(indices, values, rows, this.spec.k!, dSae);
    return { features, ...(this.graph.reconstruction ? { sqError: out.sq_error.data as Float32Array } : {}) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
