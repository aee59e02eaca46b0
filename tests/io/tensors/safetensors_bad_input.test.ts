/**
 * Damaged and malformed safetensors files, built byte by byte: each is a DataError that names the file (and the
 * tensor, where there is one) and says what was expected.
 */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { SafetensorsFile } from "@saeflow/io";
import { tempDir } from "../../helpers.ts";

/** An 8-byte little-endian length (the header's, unless `length` says otherwise), the header, `data` zero bytes. */
function safetensorsBytes(header: string | Uint8Array, data: number, length?: bigint): Uint8Array {
  const json = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const bytes = new Uint8Array(8 + json.length + data);
  new DataView(bytes.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });

/** [what, file bytes, message after "<path>: "] */
const CASES: [string, Uint8Array, string][] = [
  [
    "shorter than 8 bytes",
    new Uint8Array(5),
    "file has 5 bytes, fewer than the 8-byte header length; expected a safetensors file",
  ],
  [
    "header length past the end",
    safetensorsBytes("{}", 10, 1000n),
    "header length 1000 runs past the end of the file (20 bytes): not safetensors, or truncated; expected a safetensors",
  ],
  ["header length absurd", safetensorsBytes("{}", 0, 2n ** 63n), "header length 9223372036854775808 runs past the end"],
  ["header not JSON", safetensorsBytes("{not json}", 0), "the 10-byte header is not JSON ("],
  ["header not UTF-8", safetensorsBytes(new Uint8Array([0x7b, 0xff, 0x7d]), 0), "the 3-byte header is not JSON ("],
  ["header an array", safetensorsBytes("[1, 2]", 0), "the header is JSON [1,2], not an object"],
  ["header a string", safetensorsBytes('"hi"', 0), 'the header is JSON "hi", not an object'],
  ["entry not an object", safetensorsBytes('{"w": 5}', 0), 'tensor "w": entry is 5; expected an object with "dtype"'],
  [
    "entry without dtype",
    safetensorsBytes('{"w": {"shape": [1], "data_offsets": [0, 4]}}', 4),
    'tensor "w": entry has no "dtype"',
  ],
  [
    "entry without shape",
    safetensorsBytes('{"w": {"dtype": "F32", "data_offsets": [0, 4]}}', 4),
    'tensor "w": entry has no "shape"',
  ],
  [
    "entry without data_offsets",
    safetensorsBytes('{"w": {"dtype": "F32", "shape": [1]}}', 4),
    'tensor "w": entry has no "data_offsets"',
  ],
  [
    "unknown dtype",
    safetensorsBytes(`{"w": ${entry("F12", [1], [0, 4])}}`, 4),
    'tensor "w": unknown dtype "F12"; expected one of F64, F32, F16, BF16',
  ],
  [
    "negative dimension",
    safetensorsBytes(`{"w": ${entry("F32", [-1], [0, 4])}}`, 4),
    'tensor "w": shape [-1] is not a list of sizes',
  ],
  [
    "string dimension",
    safetensorsBytes(`{"w": ${entry("F32", ["2"], [0, 8])}}`, 8),
    'tensor "w": shape ["2"] is not a list of sizes',
  ],
  [
    "offsets reversed",
    safetensorsBytes(`{"w": ${entry("F32", [1], [8, 4])}}`, 8),
    'tensor "w": data_offsets [8,4] is not a byte range',
  ],
  [
    "offsets not a pair",
    safetensorsBytes(`{"w": ${entry("F32", [1], [4])}}`, 8),
    'tensor "w": data_offsets [4] is not a byte range',
  ],
  [
    "byte length does not fit the shape",
    safetensorsBytes(`{"a": ${entry("F32", [1], [0, 4])}, "w": ${entry("BF16", [2, 3], [4, 14])}}`, 14),
    'tensor "w": data_offsets [4, 14] hold 10 bytes, but shape [2,3] of BF16 needs 12',
  ],
  truncated(),
  overlapping(),
  [
    "metadata not strings",
    safetensorsBytes('{"__metadata__": {"step": 5}}', 0),
    '"__metadata__" is {"step":5}; expected an object mapping names to strings',
  ],
];

function truncated(): [string, Uint8Array, string] {
  const header = `{"a": ${entry("F32", [1], [0, 4])}, "w": ${entry("F32", [4], [4, 20])}}`;
  const start = 8 + header.length; // offsets count from the end of the header
  return [
    "truncated",
    safetensorsBytes(header, 12),
    `file is truncated: tensor "w" needs bytes up to ${start + 20} but the file has ${
      start + 12
    }; expected the complete`,
  ];
}

function overlapping(): [string, Uint8Array, string] {
  const header = `{"a": ${entry("F32", [2], [0, 8])}, "b": ${entry("F32", [2], [4, 12])}}`;
  const start = 8 + header.length;
  return [
    "overlapping",
    safetensorsBytes(header, 12),
    `tensors "a" (bytes ${start}-${start + 8}) and "b" (bytes ${start + 4}-${start + 12}) overlap`,
  ];
}

for (const [what, bytes, message] of CASES) {
  Deno.test(`bad safetensors: ${what}`, async () => {
    await using dir = await tempDir();
    const path = `${dir.path}/${what.replaceAll(" ", "_")}.safetensors`;
    await Deno.writeFile(path, bytes);
    await assert.rejects(SafetensorsFile.open(path), (error: Error) => {
      assert.ok(error instanceof DataError, `${error}`);
      assert.ok(error.message.startsWith(`${path}: ${message}`), `${error.message}\ndoes not start with\n${message}`);
      return true;
    });
  });
}

Deno.test("a file that does not exist is a DataError naming it", async () => {
  await assert.rejects(
    SafetensorsFile.open("/nonexistent/x.safetensors"),
    /\/nonexistent\/x.safetensors: file not found/,
  );
});

Deno.test("a 0-dim scalar and empty tensors are valid; empty tensors overlap nothing", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/ok.safetensors`;
  const header = `{"s": ${entry("F32", [], [0, 4])}, "e": ${entry("F32", [0, 5], [4, 4])}, "e2": ${
    entry("I64", [0], [2, 2])
  }}`;
  const bytes = safetensorsBytes(header, 4);
  new DataView(bytes.buffer).setFloat32(bytes.length - 4, 2.5, true);
  await Deno.writeFile(path, bytes);
  using file = await SafetensorsFile.open(path);
  assert.deepEqual(await file.readFloat32("s"), Float32Array.of(2.5));
  assert.deepEqual(await file.readFloat32("e"), new Float32Array(0));
  assert.deepEqual(await file.read("e2"), new Uint8Array(0));
});

Deno.test("a file cut short after it was opened fails the read, naming the file and tensor", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/shrinks.safetensors`;
  const header = `{"w": ${entry("BF16", [4096], [0, 8192])}}`;
  await Deno.writeFile(path, safetensorsBytes(header, 8192));
  using file = await SafetensorsFile.open(path);
  await Deno.truncate(path, 8 + header.length + 100);
  await assert.rejects(
    file.readFloat32("w"),
    (error: Error) =>
      error instanceof DataError &&
      error.message.startsWith(`${path}: file is truncated: tensor "w" needs bytes up to ${8 + header.length + 8192}`),
  );
});
