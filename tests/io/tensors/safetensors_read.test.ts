/** SafetensorsFile reads files written by an independent Python writer, bit for bit. */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { SafetensorsFile } from "@saeflow/io";
import { tempDir } from "../../helpers.ts";
import { bitsOf, type PyTensor, pythonWriteSafetensors } from "./python_safetensors.ts";

const TENSORS: PyTensor[] = [
  // Not in name order, so the data layout is Python's, not ours.
  { name: "z.f32", dtype: "F32", shape: [2, 3], values: [0, -0, 1.5, -2.25e-40, 3.4028234663852886e38, "inf"] },
  { name: "a.f16", dtype: "F16", shape: [7], values: [1, -0, 65504, 2 ** -24, 6.1e-5, "-inf", "nan"] },
  { name: "m.bf16", dtype: "BF16", shape: [2, 2], values: [1, -3.140625, 1e-40, "-inf"] },
  { name: "ids", dtype: "I64", shape: [4], values: [0, -5, 2 ** 40, 16777217] },
  { name: "f64", dtype: "F64", shape: [3], values: [0.1, -1e300, 1e-320] },
  { name: "i32", dtype: "I32", shape: [2], values: [-2147483648, 2147483647] },
  { name: "bytes", dtype: "U8", shape: [3], values: [0, 7, 255] },
  { name: "mask", dtype: "BOOL", shape: [3], values: ["1", "0", "1"] },
  { name: "scalar", dtype: "F32", shape: [], values: [42.5] },
  { name: "empty", dtype: "F16", shape: [0, 3], values: [] },
  { name: "fp8", dtype: "F8_E4M3", shape: [2], values: [0x38, 0xb8] },
];

Deno.test("every dtype written by Python reads back exactly: raw bytes, float32 values, offsets, metadata", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/python.safetensors`;
  const written = await pythonWriteSafetensors(path, TENSORS, { metadata: { format: "pt", note: "ünïcode" } });
  await using file = await SafetensorsFile.open(path);
  assert.deepEqual(file.metadata, { format: "pt", note: "ünïcode" });
  assert.deepEqual([...file.tensors.keys()], TENSORS.map((t) => t.name));
  for (const { name, dtype, shape } of TENSORS) {
    const entry = file.tensors.get(name)!;
    assert.deepEqual(entry, { name, dtype, shape, begin: written[name].begin, end: written[name].end });
    const raw = await file.read(name);
    assert.equal(raw.byteOffset, 0);
    assert.equal(Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join(""), written[name].hex, name);
    if (dtype === "F8_E4M3") continue;
    const values = await file.readFloat32(name);
    assert.deepEqual(bitsOf(values), written[name].f32bits, `${name} (${dtype}) as float32`);
  }
  assert.equal((await file.readFloat32("scalar"))[0], 42.5);
  assert.equal((await file.readFloat32("ids"))[3], 16777216); // rounded to float32, as NumPy would
});

Deno.test("8-bit floats read as bytes, and as float32 fail naming the file, tensor and dtype", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/fp8.safetensors`;
  await pythonWriteSafetensors(path, TENSORS.slice(-1));
  using file = await SafetensorsFile.open(path);
  assert.deepEqual([...await file.read("fp8")], [0x38, 0xb8]);
  await assert.rejects(
    file.readFloat32("fp8"),
    (error: Error) =>
      error instanceof DataError && error.message.includes(path) && error.message.includes('tensor "fp8" is F8_E4M3'),
  );
});

Deno.test("a header padded with spaces (as the reference writer does) and a file without metadata", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/padded.safetensors`;
  const written = await pythonWriteSafetensors(path, TENSORS.slice(0, 2), { pad: true });
  using file = await SafetensorsFile.open(path);
  assert.deepEqual(file.metadata, {});
  assert.equal(file.tensors.get("z.f32")!.begin % 8, 0);
  assert.deepEqual(bitsOf(await file.readFloat32("a.f16")), written["a.f16"].f32bits);
});

Deno.test("concurrent reads of one file each get their own tensor", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/many.safetensors`;
  const tensors: PyTensor[] = Array.from({ length: 24 }, (_, i) => ({
    name: `t${i}`,
    dtype: (["F32", "F16", "BF16"] as const)[i % 3],
    shape: [50 + i],
    values: Array.from({ length: 50 + i }, (_, j) => i * 1000 + j),
  }));
  const written = await pythonWriteSafetensors(path, tensors);
  using file = await SafetensorsFile.open(path);
  const results = await Promise.all(tensors.map((t) => file.readFloat32(t.name)));
  results.forEach((values, i) => assert.deepEqual(bitsOf(values), written[`t${i}`].f32bits, `t${i}`));
  const raws = await Promise.all(tensors.map((t) => file.read(t.name)));
  raws.forEach((raw, i) => assert.equal(raw.length, written[`t${i}`].end - written[`t${i}`].begin));
});

Deno.test("a missing tensor names the file, the tensor and how many there are; reads after close fail", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/small.safetensors`;
  await pythonWriteSafetensors(path, TENSORS.slice(0, 3));
  const file = await SafetensorsFile.open(path);
  assert.throws(
    () => file.entry("nope"),
    (error: Error) =>
      error instanceof DataError && error.message === `${path}: no tensor "nope"; expected one of the file's 3 tensors`,
  );
  await assert.rejects(file.readFloat32("nope"), DataError);
  file.close();
  await assert.rejects(file.read("z.f32"), /read after close/);
  file.close(); // twice is fine
});
