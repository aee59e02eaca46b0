/**
 * SAEs fused into the forward graph: each encoder reads its hook's values inside the same ONNX Runtime call, so
 * hidden states never cross into JS — only the active features come back. For graphs saeflow builds (llama2.c,
 * safetensors, Hub ids); exported `.onnx` models go through `SaeEncodeStream` instead.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import {
  type ForwardModel,
  type ForwardTimings,
  type GraphBuilder,
  loadDecoder,
  type LoadDecoderOptions,
} from "@saeflow/forward";
import type { TokenBatch } from "@saeflow/tokenize";
import { toSparseFeatures } from "./csr.ts";
import { addEncoder, type EncoderOutputs } from "./encoder_graph.ts";
import { FeatureStats } from "./feature_stats.ts";
import type { SaeSpec } from "./sae_spec.ts";
import type { FeatureBatch, SparseFeatures } from "./sparse_features.ts";

/** One SAE of a fused model and the hook it reads. */
export interface FusedSae {
  /** Key of its features in each {@link FeatureBatch}. */
  id: string;
  hook: string;
  spec: SaeSpec;
}

/** Options for {@link FusedSaeModel.load}: the forward options, less what the fusion decides. */
export type FusedSaeOptions = Omit<LoadDecoderOptions, "hooks" | "extend" | "exposeHooks" | "logits">;

/** A decoder with SAE encoders in its graph: token batches in, sparse features out. */
export class FusedSaeModel {
  private constructor(
    readonly model: ForwardModel,
    readonly saes: readonly FusedSae[],
    private readonly outputs: ReadonlyMap<string, EncoderOutputs>,
  ) {}

  /**
   * Loads `source` with every SAE encoder added after its hook.
   *
   * @example
   * ```ts
   * const fused = await FusedSaeModel.load("../shared/models/stories260K/stories260K.bin", [
   *   { id: "l2", hook: "blocks.2.hook_resid_post", spec },
   * ]);
   * const { features } = await fused.run(tokenBatch);
   * ```
   */
  static async load(source: string, saes: readonly FusedSae[], options: FusedSaeOptions = {}): Promise<FusedSaeModel> {
    if (source.endsWith(".onnx")) {
      throw new ConfigError(`${source}: fused SAE encoding needs a graph saeflow builds; use SaeEncodeStream after it`);
    }
    if (new Set(saes.map((s) => s.id)).size !== saes.length) throw new ConfigError("fused SAEs need distinct ids");
    const outputs = new Map<string, EncoderOutputs>();
    const extend = (g: GraphBuilder, hooks: ReadonlyMap<string, string>, dModel: number) =>
      saes.flatMap(({ id, hook, spec }) => {
        if (spec.dIn !== dModel) {
          throw new ConfigError(
            `SAE ${id} (${spec.source}) takes d_in ${spec.dIn}, but ${source}'s ${hook} has d_model ${dModel}`,
          );
        }
        const added = addEncoder(g, spec, hooks.get(hook)!, { prefix: `${id}/` });
        outputs.set(id, added);
        return [added.indices, added.values];
      });
    const hooks = [...new Set(saes.map((s) => s.hook))];
    const model = await loadDecoder(source, { ...options, hooks, exposeHooks: false, extend });
    return new FusedSaeModel(model, saes, outputs);
  }

  get timings(): ForwardTimings {
    return this.model.timings;
  }

  /** Runs one token batch; features come back for its real tokens only. */
  async run(tokens: TokenBatch): Promise<FeatureBatch> {
    const { extra } = await this.model.run(tokens);
    const layout = { kind: "padded" as const, seqLen: tokens.seqLen, lengths: tokens.lengths };
    const features = new Map<string, SparseFeatures>();
    for (const { id, spec } of this.saes) {
      const o = this.outputs.get(id)!;
      const indices = extra!.get(o.indices)!, values = extra!.get(o.values)!;
      features.set(
        id,
        toSparseFeatures(
          o.extraction,
          indices.data as BigInt64Array,
          indices.dims,
          values.data as Float32Array,
          spec.dSae,
          layout,
        ),
      );
    }
    return { tokens, features };
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}

/** Options for {@link FusedEncodeStream}. */
export interface FusedEncodeStreamOptions {
  /** The model with its SAEs fused in. */
  model: FusedSaeModel;
}

/**
 * Fused forward + encode as a stream stage: token batches in, feature batches out, one batch held at a time, with
 * {@link FeatureStats} per SAE (mean L0 and dead features; the FVU needs the activations, which stay in the graph).
 */
export class FusedEncodeStream extends TransformStream<TokenBatch, FeatureBatch> {
  readonly stats: Map<string, FeatureStats>;

  constructor({ model: fused }: FusedEncodeStreamOptions) {
    const stats = new Map(fused.saes.map(({ id, spec }) => [id, new FeatureStats(spec.dSae, spec.dIn)]));
    super(
      {
        async transform(tokens, controller) {
          const batch = await fused.run(tokens);
          for (const [id, features] of batch.features) stats.get(id)!.add(features);
          controller.enqueue(batch);
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
    this.stats = stats;
  }
}
