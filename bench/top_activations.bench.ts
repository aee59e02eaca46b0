/**
 * TopActivations' cost per token: what `extract --feature-examples` adds to the SAE stage. A 16k-wide TopK SAE
 * (k = 64) on 64 records of 128 tokens, as saeEncode emits them. `deno bench -A bench/`.
 */
import { mulberry32 } from "@saeflow/core";
import { type SparseFeatures, TopActivations } from "@saeflow/sae";
import type { TokenBatch } from "@saeflow/tokenize";

const D_SAE = 16_384, K = 64, RECORDS = 64, LENGTH = 128;
const uniform = mulberry32(1);
const rows = RECORDS * LENGTH;
const rowPtr = Int32Array.from({ length: rows + 1 }, (_, r) => r * K);
const indices = new Int32Array(rows * K), values = new Float32Array(rows * K);
for (let r = 0; r < rows; r++) {
  const ids = new Set<number>();
  while (ids.size < K) ids.add(Math.floor(uniform() * D_SAE));
  [...ids].sort((a, b) => a - b).forEach((id, j) => {
    indices[r * K + j] = id;
    values[r * K + j] = -Math.log(1 - uniform()); // exponential, as SAE activations roughly are
  });
}
const features: SparseFeatures = { rows, dSae: D_SAE, rowPtr, indices, values };
/** One batch of the synthetic features; each batch its own records, as extract's batches are. */
const batch = (n: number): TokenBatch => ({
  ids: Int32Array.from({ length: rows }, (_, i) => i % 4096),
  mask: new Uint8Array(rows).fill(1),
  lengths: new Int32Array(RECORDS).fill(LENGTH),
  batchSize: RECORDS,
  seqLen: LENGTH,
  padId: 0,
  hasBos: true,
  records: Array.from({ length: RECORDS }, (_, i) => ({ id: `b${n}:r${i}`, text: "" })),
  truncated: new Array(RECORDS).fill(false),
});

Deno.bench(`TopActivations (10 per feature): first batch, ${rows} tokens × k ${K}, width ${D_SAE}`, () => {
  new TopActivations(D_SAE, { perFeature: 10 }).add(features, batch(0));
});

// The same activations again under new record ids: ties go to the lower id, so later batches mostly miss the floors.
const warm = new TopActivations(D_SAE, { perFeature: 10 });
for (let i = 1; i <= 20; i++) warm.add(features, batch(i));
let next = 21;
Deno.bench(`TopActivations (10 per feature): a later batch (features full), ${rows} tokens`, () => {
  warm.add(features, batch(next++));
});
