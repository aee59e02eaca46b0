/**
 * An SAE encoder session: rows of activations in, CSR features out (and, on request, each row's squared
 * reconstruction error), on ONNX Runtime.
 * @module
 */
import type { InferenceSession } from "onnxruntime-node";
import * as ort from "onnxruntime-node";
import { createSession, type ExecutionProvider } from "@saeflow/forward";
import { buildEncoderGraph, type Extraction } from "./encoder_graph.ts";
import type { SaeSpec } from "./sae_spec.ts";
import { toSparseFeatures } from "./csr.ts";
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

/** What encodes rows of activations into sparse features: {@link SaeEncoder} (ONNX Runtime) or `TfjsSaeEncoder`. */
export interface FeatureEncoder {
  readonly spec: SaeSpec;
  encode(x: Float32Array, rows: number): Promise<EncodeResult>;
  release(): Promise<void>;
}

/** One SAE on one ONNX Runtime session. */
export class SaeEncoder implements FeatureEncoder {
  // Only what encode needs: the serialized graph (which may inline weights) is not kept.
  private constructor(
    readonly spec: SaeSpec,
    private readonly extraction: Extraction,
    private readonly reconstruction: boolean,
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
    const graph = await buildEncoderGraph(spec, { reconstruction: options.reconstruction });
    const session = await createSession(graph.bytes, {
      executionProvider: options.executionProvider,
      threads: options.threads,
      externalDataFolder: graph.externalDataFolder,
    }).finally(() => graph.release());
    return new SaeEncoder(spec, graph.extraction, graph.reconstruction, session);
  }

  /** Encodes `rows` rows of `x` (`[rows, dIn]`, row-major). */
  async encode(x: Float32Array, rows: number): Promise<EncodeResult> {
    const { dIn, dSae } = this.spec;
    if (x.length !== rows * dIn) throw new RangeError(`encode: ${x.length} values for ${rows} rows of ${dIn}`);
    if (rows === 0) {
      // ONNX Runtime's TopK on a [0, dSae] input crashes the process (SIGFPE): nothing to encode, nothing to run.
      const features = {
        rows: 0,
        dSae,
        rowPtr: new Int32Array(1),
        indices: new Int32Array(0),
        values: new Float32Array(0),
      };
      return { features, ...(this.reconstruction ? { sqError: new Float32Array(0) } : {}) };
    }
    const out = await this.session.run({ x: new ort.Tensor("float32", x, [rows, dIn]) });
    const features = toSparseFeatures(
      this.extraction,
      out.indices.data as BigInt64Array,
      out.indices.dims,
      out.values.data as Float32Array,
      dSae,
      { kind: "rows", rows },
    );
    return { features, ...(this.reconstruction ? { sqError: out.sq_error.data as Float32Array } : {}) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
