/**
 * `.npy` headers written by NumPy (`np.lib.format.write_array`, every format version): dtype, shape and data offset
 * as NumPy has them, and clear refusals of what cannot be used in place.
 */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { NPY_PREAMBLE_BYTES, npyHeaderLength, parseNpyHeader } from "../../../modules/sae/npy.ts";
import { python, tempDir } from "../../helpers.ts";

interface NpyCase {
  shape: number[];
  dtype: string;
  version: [number, number];
  fortran?: boolean;
}

/** Writes each case with NumPy; returns the file's bytes and NumPy's own data offset (size minus nbytes). */
async function writeNpy(dir: string, cases: NpyCase[]): Promise<{ bytes: Uint8Array; dataOffset: number }[]> {
  const written = await python<{ path: string; dataOffset: number }[]>(
    `
import json, os, sys
import numpy as np
out = []
for i, c in enumerate(json.loads(sys.argv[2])):
    x = np.arange(int(np.prod(c["shape"])), dtype="<f8").reshape(c["shape"]).astype(c["dtype"])
    if c.get("fortran"):
        x = np.asfortranarray(x)
    path = os.path.join(sys.argv[1], f"{i}.npy")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, x, version=tuple(c["version"]))
    out.append(dict(path=path, dataOffset=os.path.getsize(path) - x.nbytes))
print(json.dumps(out))
`,
    dir,
    JSON.stringify(cases),
  );
  return await Promise.all(
    written.map(async ({ path, dataOffset }) => ({ bytes: await Deno.readFile(path), dataOffset })),
  );
}

Deno.test("versions 1.0, 2.0 and 3.0; float16/32/64; any rank: dtype, shape and data offset are NumPy's", async () => {
  await using dir = await tempDir();
  const cases: NpyCase[] = [];
  for (const version of [[1, 0], [2, 0], [3, 0]] as [number, number][]) {
    for (
      const [dtype, shape] of [["<f4", [2304, 3]], ["<f2", [7]], ["<f8", [2, 3, 4]], ["<f4", []], ["<f4", [
        0,
        5,
      ]]] as const
    ) {
      cases.push({ shape: [...shape], dtype, version });
    }
  }
  const files = await writeNpy(dir.path, cases);
  const itemBytes: Record<string, number> = { "<f2": 2, "<f4": 4, "<f8": 8 };
  const dtypes: Record<string, string> = { "<f2": "F16", "<f4": "F32", "<f8": "F64" };
  cases.forEach((c, i) => {
    const { bytes, dataOffset } = files[i];
    assert.equal(npyHeaderLength(bytes.subarray(0, NPY_PREAMBLE_BYTES), "x.npy", "x.npy"), dataOffset);
    const header = parseNpyHeader(bytes, "x.npy", "x.npy");
    const elements = c.shape.reduce((a, b) => a * b, 1);
    assert.deepEqual(header, {
      version: c.version.join("."),
      descr: c.dtype,
      dtype: dtypes[c.dtype],
      shape: c.shape,
      dataOffset,
      byteLength: elements * itemBytes[c.dtype],
    }, JSON.stringify(c));
    assert.equal(dataOffset + header.byteLength, bytes.length);
  });
});

Deno.test("Fortran order, big-endian, integer dtypes, bad magic, unknown version, cut headers: DataErrors", async () => {
  await using dir = await tempDir();
  const [fortran, bigEndian, integer, good] = await writeNpy(dir.path, [
    { shape: [3, 4], dtype: "<f4", version: [1, 0], fortran: true },
    { shape: [3], dtype: ">f4", version: [1, 0] },
    { shape: [3], dtype: "<i8", version: [1, 0] },
    { shape: [3], dtype: "<f4", version: [2, 0] },
  ]);
  const rejects = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => parseNpyHeader(bytes, "/data/params.npz", "params.npz member W_enc.npy"),
      (e) =>
        e instanceof DataError && e.message.startsWith("/data/params.npz: params.npz member W_enc.npy") &&
        pattern.test(e.message),
    );
  rejects(fortran.bytes, /Fortran \(column-major\) order; expected C order/);
  rejects(bigEndian.bytes, /big-endian dtype '>f4'; expected little-endian '<f4'/);
  rejects(integer.bytes, /dtype '<i8'; expected a little-endian float dtype/);
  rejects(new TextEncoder().encode("PK\x03\x04 not an npy at all"), /does not start with the \.npy magic/);
  const future = good.bytes.slice();
  future[6] = 4;
  rejects(future, /format version 4\.0; expected version 1\.0, 2\.0 or 3\.0/);
  rejects(good.bytes.subarray(0, 40), /ends inside its header: 40 of \d+ header bytes/);
  rejects(good.bytes.subarray(0, 11), /ends inside its header length/);
});
