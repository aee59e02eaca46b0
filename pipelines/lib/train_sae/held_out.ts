/**
 * The held-out records of a training run, kept in memory for evaluations while it trains: their activation rows (up
 * to a token budget) for L0, FVU, dead and dense features, and their first token batches for the next-token loss
 * with the SAE spliced into the model.
 * @module
 */
import {
  evaluateSae,
  type FeatureSummary,
  type RowBlock,
  type SaeSpec,
  type SplicedLoss,
  splicedLoss,
} from "@saeflow/sae";
import type { TokenBatch } from "@saeflow/tokenize";
import { type ActivationSourceOptions, modelRows, tokenBatches } from "./activation_source.ts";

/** What an evaluation measured. */
export interface HeldOutEvaluation {
  heldOut: FeatureSummary;
  spliced?: SplicedLoss;
}

/** Held-out rows and token batches, read once. */
export class HeldOutSet {
  private constructor(readonly rows: RowBlock[], readonly batches: TokenBatch[]) {}

  /** Reads up to `tokens` held-out rows and the token batches of the first `records` held-out records. */
  static async collect(
    source: ActivationSourceOptions,
    { tokens, records }: { tokens: number; records: number },
  ): Promise<HeldOutSet> {
    return new HeldOutSet(await heldOutRows(source, tokens), await firstBatches(source, records));
  }

  /** The SAE on the kept rows, and spliced into `modelSource` on the kept batches. */
  async evaluate(spec: SaeSpec, modelSource: string, threads?: number): Promise<HeldOutEvaluation> {
    const heldOut = await evaluateSae(spec, this.rows, { threads });
    if (this.batches.length === 0) return { heldOut };
    return { heldOut, spliced: await splicedLoss(modelSource, spec, this.batches, { threads }) };
  }
}

/** The token batches holding the first `records` held-out records (whole batches). */
export async function firstBatches(source: ActivationSourceOptions, records: number): Promise<TokenBatch[]> {
  const batches: TokenBatch[] = [];
  if (records <= 0) return batches;
  let seen = 0;
  for await (const batch of await tokenBatches(source, true)) {
    batches.push(batch);
    if ((seen += batch.batchSize) >= records) break;
  }
  return batches;
}

/** The held-out rows, at most about `tokens` of them (whole blocks). */
export async function heldOutRows(source: ActivationSourceOptions, tokens: number): Promise<RowBlock[]> {
  const blocks: RowBlock[] = [];
  let kept = 0;
  if (tokens <= 0) return blocks;
  for await (const block of await modelRows(source, true)) {
    blocks.push(block);
    if ((kept += block.count) >= tokens) break;
  }
  return blocks;
}
