/**
 * Gemma Scope `params.npz` files written by NumPy: the spec's stored tensors point at exactly NumPy's bytes, the
 * vectors are NumPy's values, and every way the file can be wrong is a DataError that names it.
 */
import assert from "node:assert/strict";
import { isAbsolute } from "node:path";
import { DataError } from "@saeflow/core";
import type { SaeSpec, SaeTensor } from "../../../modules/sae/sae_spec.ts";
import { loadGemmaScopeNpz } from "../../../modules/sae/gemma_scope_npz.ts";
import { tempDir } from "../../helpers.ts";
import { type ArraySpec, bytesAt, gemmaScopeArrays, hex, writeNpz, type Written } from "./npz_fixtures.ts";

/** Every array of the spec holds exactly NumPy's bytes: stored ones at their offsets, loaded ones in memory. */
async function assertNumpyBytes(weights: SaeSpec["weights"], written: Written) {
  const tensors: Record<string, SaeTensor | undefined> = { ...weights, encoderTransposed: undefined };
  assert.deepEqual(Object.keys(written.arrays).sort(), ["W_dec", "W_enc", "b_dec", "b_enc", "threshold"]);
  for (const [name, { shape, hex: expected }] of Object.entries(written.arrays)) {
    const tensor = tensors[name];
    assert.ok(tensor, name);
    assert.deepEqual(tensor.shape, shape, name);
    const bytes = "stored" in tensor
      ? await bytesAt(tensor.stored.file, tensor.stored.offset, tensor.stored.length)
      : new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    assert.equal(hex(bytes), expected, name);
  }
}

Deno.test("np.savez params.npz: W_enc and W_dec stored in place, vectors read, JumpReLU without b_dec subtraction", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  const written = await writeNpz(path, gemmaScopeArrays(16, 48), { seed: 1 });
  const meta = {
    id: "gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82",
    hookName: "blocks.12.hook_resid_post",
    modelId: "gemma-2-2b",
    neuronpediaId: "gemma-2-2b/12-gemmascope-res-16k",
  };
  const sae = await loadGemmaScopeNpz(path, { ...meta, dIn: 16, dSae: 48 });
  const { weights, ...rest } = sae;
  assert.deepEqual(rest, {
    ...meta,
    source: path,
    architecture: "jumprelu",
    dIn: 16,
    dSae: 48,
    applyBDecToInput: false,
    normalization: { kind: "none" },
  });
  assert.ok("stored" in weights.W_enc && "stored" in weights.W_dec!);
  assert.ok("data" in weights.b_enc && "data" in weights.b_dec && "data" in weights.threshold!);
  for (const tensor of [weights.W_enc, weights.W_dec!]) {
    assert.ok("stored" in tensor && tensor.stored.dtype === "F32" && isAbsolute(tensor.stored.file));
    assert.equal(tensor.stored.length, 16 * 48 * 4);
  }
  await assertNumpyBytes(weights, written);

  const bare = await loadGemmaScopeNpz(path);
  assert.equal(bare.id, path);
  assert.equal("hookName" in bare || "modelId" in bare || "neuronpediaId" in bare, false);
});

Deno.test("ZIP64 archives, .npy versions 2.0 and 3.0, and members past 4 GB load byte-exactly", async () => {
  await using dir = await tempDir();
  const zip64 = `${dir.path}/zip64.npz`;
  const written64 = await writeNpz(zip64, gemmaScopeArrays(8, 24), { mode: "zip64", seed: 2 });
  assert.equal(written64.zip64EndRecord, true);
  await assertNumpyBytes((await loadGemmaScopeNpz(zip64)).weights, written64);

  const versioned = `${dir.path}/versioned.npz`;
  const arrays: Record<string, ArraySpec> = Object.fromEntries(
    Object.entries(gemmaScopeArrays(8, 24)).map(([name, spec], i) => [name, { ...spec, version: [1 + (i % 3), 0] }]),
  );
  const writtenV = await writeNpz(versioned, arrays, { mode: "versioned", seed: 3 });
  await assertNumpyBytes((await loadGemmaScopeNpz(versioned)).weights, writtenV);

  const far = `${dir.path}/far.npz`;
  const writtenFar = await writeNpz(far, gemmaScopeArrays(8, 24), { offset: 5 * 2 ** 30, seed: 4 });
  const farSae = await loadGemmaScopeNpz(far);
  assert.ok("stored" in farSae.weights.W_enc && farSae.weights.W_enc.stored.offset > 2 ** 32);
  await assertNumpyBytes(farSae.weights, writtenFar);
});

async function rejectsWith(path: string, pattern: RegExp, meta = {}) {
  await assert.rejects(
    loadGemmaScopeNpz(path, meta),
    (e) => {
      assert.ok(e instanceof DataError, String(e));
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

Deno.test("missing arrays, compressed members, truncated files and non-zips are DataErrors naming the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  const { threshold: _, ...noThreshold } = gemmaScopeArrays(16, 48);
  await writeNpz(path, noThreshold);
  await rejectsWith(path, /: params\.npz has no threshold\.npy; expected W_enc, W_dec, b_enc, b_dec, threshold$/);

  await writeNpz(path, gemmaScopeArrays(16, 48), { mode: "savez_compressed" });
  await rejectsWith(
    path,
    /: params\.npz member W_enc\.npy is deflate-compressed; expected stored \(np\.savez, as Gemma Scope ships\)$/,
  );

  await writeNpz(path, gemmaScopeArrays(16, 48));
  const whole = await Deno.readFile(path);
  const cut = `${dir.path}/cut.npz`;
  await Deno.writeFile(cut, whole.subarray(0, whole.length - 30));
  await rejectsWith(cut, /truncated/);

  const text = `${dir.path}/params.txt`;
  await Deno.writeTextFile(text, "not an archive\n");
  await rejectsWith(text, /not a zip archive/);
  await rejectsWith(`${dir.path}/absent.npz`, /file not found; expected a Gemma Scope params\.npz/);
});

Deno.test("shapes that do not fit, Fortran order, float64, big-endian, lying headers: DataErrors", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  const with_ = async (changes: Record<string, Partial<ArraySpec>>) => {
    const arrays = gemmaScopeArrays(16, 48);
    for (const [name, change] of Object.entries(changes)) arrays[name] = { ...arrays[name], ...change };
    await writeNpz(path, arrays);
  };
  await with_({ W_dec: { shape: [48, 17] } });
  await rejectsWith(
    path,
    /member W_dec\.npy has shape \[48, 17\], which does not fit W_enc\.npy \[16, 48\]; expected \[48, 16\] \(d_model 16, d_sae 48\)/,
  );
  await with_({ threshold: { shape: [47] } });
  await rejectsWith(path, /member threshold\.npy has shape \[47\].*expected \[48\]/);
  await with_({ b_dec: { shape: [1, 16] } });
  await rejectsWith(path, /member b_dec\.npy has shape \[1, 16\].*expected \[16\]/);
  await with_({ W_enc: { shape: [16] } });
  await rejectsWith(path, /member W_enc\.npy has shape \[16\]; expected \[d_model, d_sae\]/);
  await with_({ W_enc: { fortran: true } });
  await rejectsWith(path, /member W_enc\.npy is stored in Fortran \(column-major\) order; expected C order/);
  await with_({ b_enc: { dtype: "<f8" } });
  await rejectsWith(path, /member b_enc\.npy has dtype '<f8'; expected float32 '<f4'/);
  await with_({ W_dec: { dtype: ">f4" } });
  await rejectsWith(path, /member W_dec\.npy has big-endian dtype '>f4'/);

  await with_({});
  await rejectsWith(
    path,
    /W_enc\.npy has shape \[16, 48\], not the d_model 2304 × d_sae 16384 of layer 12; expected \[2304, 16384\]/,
    { id: "layer 12", dIn: 2304, dSae: 16384 },
  );
  // A header whose shape says less than the member holds (same length, so the zip stays valid).
  const bytes = await Deno.readFile(path);
  const text = new TextDecoder("latin1").decode(bytes);
  const at = text.indexOf("'shape': (16, 48)");
  assert.ok(at > 0);
  bytes.set(new TextEncoder().encode("'shape': (16, 47)"), at);
  await Deno.writeFile(path, bytes);
  await rejectsWith(
    path,
    /W_enc\.npy holds 3072 data bytes but its header describes 3008 \(shape \[16, 47\], float32\)/,
  );
});
