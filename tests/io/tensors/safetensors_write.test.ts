/** writeSafetensors: parsed by an independent Python reader, deterministic bytes, bit-exact round trips, atomic. */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import {
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  SafetensorsFile,
  type TensorToWrite,
  writeSafetensors,
} from "@saeflow/io";
import { tempDir } from "../../helpers.ts";
import { bitsOf, pythonReadSafetensors } from "./python_safetensors.ts";

const values = Float32Array.of(0, -0, 1, -2.5, 1e-42, 65504, 70000, Infinity, -Infinity, NaN, 3.1415927, 1e-5);
const nanPayload = new Float32Array(Uint32Array.of(0x7fa00001, 0xffc12345).buffer);

function tensors(): Record<string, TensorToWrite> {
  return {
    "model.b.f32": { shape: [3, 4], data: values },
    "model.a.f16": { dtype: "F16", shape: [12], data: float32ToFloat16Array(values) },
    "Model.bf16": { dtype: "BF16", shape: [2, 6], data: float32ToBfloat16Array(values) },
    "ids": { shape: [3], data: BigInt64Array.of(-1n, 2n ** 62n, 7n) },
    "odd": { dtype: "F16", shape: [1], data: Uint16Array.of(0x3c00) }, // one half: wider tensors are laid out before it, so they stay aligned
    "f64": { shape: [2], data: Float64Array.of(0.1, -1e300) },
    "raw": { dtype: "I32", shape: [2], data: new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) },
    "scalar": { shape: [], data: Float32Array.of(7) },
    "empty": { shape: [0], data: new Float32Array(0) },
    "nan": { shape: [2], data: nanPayload },
    "10": { shape: [1], data: Float32Array.of(10) }, // integer-like: JS objects would list it first
  };
}

Deno.test("Python reads our file: sorted header, space padding to 8, aligned layout, the values we wrote", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/ours.safetensors`;
  await writeSafetensors(path, tensors(), { z: "last", format: "pt" });
  const py = await pythonReadSafetensors(path);
  assert.equal(py.headerLength % 8, 0);
  assert.match(py.headerText, /^\{.*\} *$/);
  assert.deepEqual(py.keys, ["__metadata__", ...Object.keys(tensors()).sort()]);
  assert.deepEqual(py.metadata, { format: "pt", z: "last" });
  assert.equal(JSON.stringify(Object.keys(py.metadata!)), '["format","z"]');
  for (const [name, { dtype, data_offsets: [begin] }] of Object.entries(py.tensors)) {
    const size = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2 }[dtype]!;
    assert.equal(begin % size, 0, `${name} (${dtype}) starts aligned`);
  }
  const ranges = Object.values(py.tensors).map((t) => t.data_offsets).sort((a, b) => a[0] - b[0]);
  ranges.forEach(([begin], i) => assert.equal(begin, i === 0 ? 0 : ranges[i - 1][1], "no gaps: reference-readable"));
  assert.equal(ranges.at(-1)![1], py.dataLength);

  assert.deepEqual(py.f32bits["model.b.f32"], bitsOf(values));
  assert.deepEqual(py.f32bits["model.a.f16"], bitsOf(float16ToFloat32Array(float32ToFloat16Array(values))));
  assert.deepEqual(py.tensors["model.a.f16"].elements.slice(5, 9), [0x7bff, 0x7c00, 0x7c00, 0xfc00]);
  assert.deepEqual(py.f32bits["Model.bf16"], bitsOf(bfloat16ToFloat32Array(float32ToBfloat16Array(values))));
  assert.deepEqual(py.tensors["Model.bf16"].elements.slice(0, 4), [0, 0x8000, 0x3f80, 0xc020]);
  assert.deepEqual(py.tensors["ids"].elements, ["-1", String(2n ** 62n), "7"]);
  assert.deepEqual(py.tensors["f64"].elements.map((e) => new Float64Array(BigUint64Array.of(BigInt(e)).buffer)[0]), [
    0.1,
    -1e300,
  ]);
  assert.deepEqual(py.tensors["raw"].elements, [1, -1]);
  assert.deepEqual(py.tensors["scalar"], {
    dtype: "F32",
    shape: [],
    data_offsets: py.tensors.scalar.data_offsets,
    elements: [0x40e00000],
  });
  assert.deepEqual(py.tensors["nan"].elements, [0x7fa00001, 0xffc12345]);
});

Deno.test("round trip is bit-exact and the bytes are deterministic", async () => {
  await using dir = await tempDir();
  const [a, b] = [`${dir.path}/a.safetensors`, `${dir.path}/b.safetensors`];
  await writeSafetensors(a, tensors(), { format: "pt" });
  const reversed = Object.fromEntries(Object.entries(tensors()).reverse());
  await writeSafetensors(b, reversed, { format: "pt" });
  assert.deepEqual(await Deno.readFile(a), await Deno.readFile(b), "same tensors in another order, same bytes");
  using file = await SafetensorsFile.open(a);
  for (const [name, tensor] of Object.entries(tensors())) {
    const raw = await file.read(name);
    assert.deepEqual(raw, new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), name);
    assert.deepEqual(file.tensors.get(name)!.shape, tensor.shape);
  }
  assert.deepEqual(bitsOf(await file.readFloat32("nan")), [0x7fa00001, 0xffc12345], "NaN payloads kept");
  assert.deepEqual(bitsOf(await file.readFloat32("model.b.f32")), bitsOf(values));
  assert.deepEqual(
    bitsOf(await file.readFloat32("Model.bf16")),
    bitsOf(bfloat16ToFloat32Array(float32ToBfloat16Array(values))),
  );
});

Deno.test("writing replaces the file atomically and leaves no temp file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/sae.safetensors`;
  await Deno.writeTextFile(path, "old");
  await writeSafetensors(path, { w: { shape: [2], data: Float32Array.of(1, 2) } });
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["sae.safetensors"]);
  using file = await SafetensorsFile.open(path);
  assert.deepEqual(await file.readFloat32("w"), Float32Array.of(1, 2));
  await assert.rejects(writeSafetensors(path, { w: { shape: [3], data: Float32Array.of(1, 2) } }), DataError);
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].map((e) => e.name),
    ["sae.safetensors"],
    "a refused write leaves it",
  );
});

Deno.test("writer refusals name the file and the tensor", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/bad.safetensors`;
  const cases: [Record<string, TensorToWrite>, string][] = [
    [
      { w: { shape: [2, 2], data: Float32Array.of(1, 2, 3) } },
      'tensor "w": 12 bytes of data, but shape [2,2] of F32 needs 16',
    ],
    [
      { w: { dtype: "F16", shape: [2], data: Float32Array.of(1, 2) } },
      'tensor "w": a Float32Array cannot hold F16 data',
    ],
    [{ __metadata__: { shape: [1], data: Float32Array.of(1) } }, 'tensor "__metadata__": the name is reserved'],
    [{ w: { shape: [-1], data: Float32Array.of() } }, 'tensor "w": shape [-1] is not a list of sizes'],
  ];
  for (const [input, message] of cases) {
    await assert.rejects(
      writeSafetensors(path, input),
      (error: Error) => error instanceof DataError && error.message.startsWith(`${path}: ${message}`),
      message,
    );
  }
  await assert.rejects(writeSafetensors(path, {}, { n: 1 as unknown as string }), /metadata "n" is not a string/);
});
