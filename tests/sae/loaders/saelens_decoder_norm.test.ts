/** firstNonUnitRow reads a decoder in whole-row chunks and finds the first row whose norm is not 1, in any dtype. */
import assert from "node:assert/strict";
import { SafetensorsFile } from "@saeflow/io";
import { firstNonUnitRow } from "../../../modules/sae/saelens_decoder_norm.ts";
import { tempDir } from "../../helpers.ts";
import { type PyTensor, pythonWriteSafetensors } from "../../io/tensors/python_safetensors.ts";

/** 7 rows of 4 columns, each of norm 1 exactly in every float format, except the rows in `off` (scaled by 1.5). */
function rows(off: number[]): number[] {
  const unit = [[0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0], [0, -1, 0, 0], [0.5, -0.5, 0.5, -0.5], [0, 0, 0, 1]];
  return Array.from({ length: 7 }, (_, i) => unit[i % unit.length].map((v) => off.includes(i) ? 1.5 * v : v)).flat();
}

Deno.test("firstNonUnitRow: unit rows pass, the first off row is found across chunk boundaries, in every dtype", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/w.safetensors`;
  const dtypes: PyTensor["dtype"][] = ["F32", "F16", "BF16", "F64"];
  await pythonWriteSafetensors(path, [
    ...dtypes.map((dtype) => ({ name: `unit.${dtype}`, dtype, shape: [7, 4], values: rows([]) })),
    ...dtypes.map((dtype) => ({ name: `off.${dtype}`, dtype, shape: [7, 4], values: rows([5, 6]) })),
    { name: "near", dtype: "F32", shape: [1, 4], values: [0.5, 0.5, 0.5, 0.5005] },
  ]);
  await using file = await SafetensorsFile.open(path);
  for (const dtype of dtypes) {
    const bytesPerRow = 4 * (dtype === "F64" ? 8 : dtype === "F32" ? 4 : 2);
    // One row per chunk, two rows per chunk (the last chunk partial), everything in one chunk.
    for (const chunkBytes of [1, 2 * bytesPerRow, 1 << 20]) {
      assert.equal(await firstNonUnitRow(file, file.entry(`unit.${dtype}`), { chunkBytes }), undefined, dtype);
      assert.deepEqual(await firstNonUnitRow(file, file.entry(`off.${dtype}`), { chunkBytes }), { row: 5, norm: 1.5 });
    }
  }
  // 0.5005 in the last column: norm ≈ 1.00025, inside the default tolerance, outside a tighter one.
  assert.equal(await firstNonUnitRow(file, file.entry("near")), undefined);
  assert.equal((await firstNonUnitRow(file, file.entry("near"), { tolerance: 1e-4 }))?.row, 0);
});
