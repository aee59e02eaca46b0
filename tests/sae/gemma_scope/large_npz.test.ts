/**
 * Loading a Gemma Scope 2B 16k-wide params.npz (302 MB, written by NumPy) costs its zip directory, headers and
 * vectors, not its matrices: measured in a fresh process (peak RSS). Numbers are printed for the record.
 */
import assert from "node:assert/strict";
import { python, tempDir } from "../../helpers.ts";
import { bytesAt } from "./npz_fixtures.ts";

const MB = 2 ** 20;
const D_IN = 2304;
const D_SAE = 16384;

// Values NumPy writes and the test can recompute: exact in float32.
const encValue = (i: number) => (i % 4096) * 0.25;
const decValue = (i: number) => (i % 1000) - 500;
const bEnc = (i: number) => i % 7;
const bDec = (i: number) => (i % 5) * 0.5;
const threshold = (i: number) => 0.5 + (i % 3) * 0.125;

interface Measured {
  seconds: number;
  before: number;
  peak: number;
  grew: number;
  dIn: number;
  dSae: number;
  W_enc: { file: string; offset: number; length: number; dtype: string };
  W_dec: { file: string; offset: number; length: number; dtype: string };
  sums: { b_enc: number; b_dec: number; threshold: number };
}

function sumOf(n: number, value: (i: number) => number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += value(i);
  return sum;
}

Deno.test({
  name: "a 302 MB params.npz (Gemma Scope 2B, 16k) loads with peak RSS growth of a few MB, far under 2x its size",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/params.npz`;
    await python(
      `
import json, sys
import numpy as np
d_in, d_sae = ${D_IN}, ${D_SAE}
n = d_in * d_sae
W_enc = ((np.arange(n, dtype=np.uint32) % 4096).astype(np.float32) * np.float32(0.25)).reshape(d_in, d_sae)
W_dec = ((np.arange(n, dtype=np.uint32) % 1000).astype(np.float32) - np.float32(500)).reshape(d_sae, d_in)
b_enc = (np.arange(d_sae) % 7).astype(np.float32)
b_dec = ((np.arange(d_in) % 5) * 0.5).astype(np.float32)
threshold = (0.5 + (np.arange(d_sae) % 3) * 0.125).astype(np.float32)
np.savez(sys.argv[1], W_enc=W_enc, W_dec=W_dec, b_enc=b_enc, b_dec=b_dec, threshold=threshold)
print("null")
`,
      path,
    );
    const fileSize = (await Deno.stat(path)).size;
    const script = new URL("./fixtures/npz_peak_rss.ts", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const m: Measured = JSON.parse(new TextDecoder().decode(stdout));

    assert.deepEqual([m.dIn, m.dSae], [D_IN, D_SAE]);
    assert.equal(m.W_enc.length, D_IN * D_SAE * 4);
    assert.equal(m.W_dec.length, D_IN * D_SAE * 4);
    for (const [tensor, value] of [[m.W_enc, encValue], [m.W_dec, decValue]] as const) {
      for (const i of [0, 1, 4097, 123_457, D_IN * D_SAE - 1]) {
        const bytes = await bytesAt(tensor.file, tensor.offset + 4 * i, 4);
        assert.equal(new DataView(bytes.buffer).getFloat32(0, true), value(i), `element ${i}`);
      }
    }
    assert.deepEqual(m.sums, {
      b_enc: sumOf(D_SAE, bEnc),
      b_dec: sumOf(D_IN, bDec),
      threshold: sumOf(D_SAE, threshold),
    });

    console.log(
      `params.npz of ${(fileSize / 1e6).toFixed(0)} MB loaded in ${(m.seconds * 1000).toFixed(1)} ms, RSS ${
        (m.before / MB).toFixed(0)
      } → peak ${(m.peak / MB).toFixed(0)} MiB (+${(m.grew / MB).toFixed(1)} MiB)`,
    );
    assert.ok(m.peak < 2 * fileSize, `peak RSS ${m.peak / MB} MB`);
    assert.ok(m.grew < 32 * MB, `loading grew RSS by ${m.grew / MB} MB`);
  },
});
