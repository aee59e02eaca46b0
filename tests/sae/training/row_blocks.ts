/** Test helper: rows cut into RowBlocks of given sizes, to feed the training data stages. */
import type { RowBlock } from "@saeflow/sae";

/** `rows` (`[n, dIn]`) cut into blocks of the given sizes, cycled until every row is used. */
export function rowBlocks(rows: Float32Array, sizes: number[], dIn: number): RowBlock[] {
  const blocks: RowBlock[] = [];
  for (let at = 0, i = 0; at < rows.length / dIn; i++) {
    const count = Math.min(sizes[i % sizes.length], rows.length / dIn - at);
    blocks.push({ rows: rows.slice(at * dIn, (at + count) * dIn), count, dIn });
    at += count;
  }
  return blocks;
}
