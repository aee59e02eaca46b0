/**
 * saveSaeLens: what it writes, `loadSaeLens` reads back bit for bit and encodes to the same features; a `scale`
 * normalization is folded into the weights; Python (stdlib + NumPy, not our reader) parses the files as SAELens would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, SAEFLOW_VERSION } from "@saeflow/core";
import { FileRange } from "@saeflow/io";
import { randomSae, SaeEncoder } from "@saeflow/sae";
import { loadSaeLens } from "../../modules/sae/saelens.ts";
import type { SaeSpec, SaeTensor } from "../../modules/sae/sae_spec.ts";
import { saveSaeLens } from "@saeflow/sae";
import { python, tempDir } from "../helpers.ts";
import { mulberry32, standardNormal } from "../random.ts";
import { csrRow } from "./encoder/assert_features.ts";
import { randomSae as gatedFixture, type RandomSaeOptions } from "./encoder/random_sae.ts";
import { assertRejects } from "./loaders/loader_asserts.ts";

const TENSORS = ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const;

/** A tensor's float32 values, stored ones read from their file. */
async function valuesOf(t: SaeTensor): Promise<Float32Array> {
  if ("data" in t) return t.data;
  assert.equal(t.stored.dtype, "F32");
  const { file, offset, length } = t.stored;
  return new Float32Array(await new FileRange(file, offset, offset + length).arrayBuffer());
}

const bytesOf = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** `[rows, cols]` to `[cols, rows]`. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** The tensors SAELens should hold for `spec`: W_enc as `[d_in, d_sae]`, threshold for jumprelu only. */
async function expectedTensors(spec: SaeSpec): Promise<Map<string, Float32Array>> {
  const w = spec.weights;
  const wEnc = await valuesOf(w.W_enc);
  const out = new Map<string, Float32Array>([
    ["W_enc", w.encoderTransposed ? transpose(wEnc, spec.dSae, spec.dIn) : wEnc],
    ["W_dec", await valuesOf(w.W_dec!)],
    ["b_enc", await valuesOf(w.b_enc)],
    ["b_dec", await valuesOf(w.b_dec)],
  ]);
  if (spec.architecture === "jumprelu") out.set("threshold", await valuesOf(w.threshold!));
  return out;
}

function gaussianRows(rows: number, dIn: number, seed: number): Float32Array {
  const gauss = standardNormal(mulberry32(seed));
  return Float32Array.from({ length: rows * dIn }, () => gauss());
}

async function encode(spec: SaeSpec, x: Float32Array, rows: number) {
  const encoder = await SaeEncoder.create(spec);
  try {
    return (await encoder.encode(x, rows)).features;
  } finally {
    await encoder.release();
  }
}

/** Saves `spec`, reloads it, and checks tensors bit for bit, the descriptive fields, and identical features on `x`. */
async function assertRoundTrip(spec: SaeSpec, folder: string, x: Float32Array, rows: number): Promise<SaeSpec> {
  await saveSaeLens(folder, spec);
  const loaded = await loadSaeLens(folder);
  const label = `${spec.id} (${spec.architecture})`;
  for (const key of ["architecture", "k", "dIn", "dSae", "applyBDecToInput", "hookName", "modelId"] as const) {
    assert.equal(loaded[key], spec[key], `${label}: ${key}`);
  }
  assert.deepEqual(loaded.normalization, spec.normalization, label);
  assert.equal(loaded.weights.encoderTransposed, undefined, label);
  const expected = await expectedTensors(spec);
  for (const name of TENSORS) {
    const t = loaded.weights[name];
    if (!expected.has(name)) {
      assert.equal(t, undefined, `${label}: ${name}`);
      continue;
    }
    assert.deepEqual(bytesOf(await valuesOf(t!)), bytesOf(expected.get(name)!), `${label}: ${name}`);
  }
  const [before, after] = [await encode(spec, x, rows), await encode(loaded, x, rows)];
  assert.ok(before.indices.length > 0, `${label}: some features fire`);
  assert.deepEqual(after.rowPtr, before.rowPtr, `${label}: rowPtr`);
  assert.deepEqual(after.indices, before.indices, `${label}: indices`);
  assert.deepEqual(bytesOf(after.values), bytesOf(before.values), `${label}: values`);
  return loaded;
}

Deno.test("saveSaeLens: a random topk SAE reloads bit for bit, in memory and from stored tensors", async () => {
  await using dir = await tempDir();
  const spec: SaeSpec = {
    ...randomSae({ dIn: 32, dSae: 160, k: 12, seed: 7, hookName: "blocks.3.hook_resid_post" }),
    modelId: "gpt2",
    neuronpediaId: "gpt2/3-random",
  };
  // Biases that are not zero, so that a swapped or dropped bias shows.
  const gauss = standardNormal(mulberry32(8));
  for (const b of [spec.weights.b_enc, spec.weights.b_dec]) {
    if ("data" in b) b.data.forEach((_, i, a) => a[i] = 0.1 * gauss());
  }
  spec.applyBDecToInput = true;
  const x = gaussianRows(9, 32, 9);
  // randomSae is sparsify-ordered (ReLU, then top k); SAELens's order keeps the same features.
  assert.equal(spec.topkOrder, "relu-then-topk");
  const loaded = await assertRoundTrip(spec, join(dir.path, "topk"), x, 9);
  assert.equal(loaded.neuronpediaId, "gpt2/3-random");
  assert.ok("stored" in loaded.weights.W_enc && "stored" in loaded.weights.W_dec!);
  // The reloaded spec refers to its weights on disk: saving it again reads them.
  await assertRoundTrip({ ...loaded, id: "stored" }, join(dir.path, "again"), x, 9);
  // Saving over the folder its weights live in reads them before replacing the file.
  await assertRoundTrip(await loadSaeLens(join(dir.path, "again")), join(dir.path, "again"), x, 9);
});

const CASES: Omit<RandomSaeOptions, "seed">[] = [
  {
    dIn: 24,
    dSae: 96,
    rows: 8,
    architecture: "jumprelu",
    applyBDecToInput: false,
    encoderTransposed: false,
    normalization: { kind: "none" },
  },
  {
    dIn: 20,
    dSae: 80,
    rows: 7,
    architecture: "relu",
    applyBDecToInput: true,
    encoderTransposed: true, // sparsify's [d_sae, d_in] encoder
    normalization: { kind: "layer_norm" },
    inputOffset: 1.5,
  },
  {
    dIn: 16,
    dSae: 64,
    rows: 6,
    architecture: "jumprelu",
    applyBDecToInput: true,
    encoderTransposed: false,
    normalization: { kind: "constant_norm_rescale" },
  },
  {
    dIn: 16,
    dSae: 72,
    rows: 6,
    architecture: "topk",
    k: 6,
    topkOrder: "topk-then-relu",
    applyBDecToInput: true,
    encoderTransposed: true,
    normalization: { kind: "none" },
  },
];

Deno.test("saveSaeLens: jumprelu, relu and topk SAEs with biases, a transposed encoder and runtime norms", async () => {
  await using dir = await tempDir();
  for (const [c, options] of CASES.entries()) {
    const fixture = gatedFixture({ ...options, seed: 300 + c });
    const spec = { ...fixture.spec, hookName: `blocks.${c}.hook_resid_pre`, modelId: "gemma-2-2b" };
    await assertRoundTrip(spec, join(dir.path, `case${c}`), fixture.x, fixture.rows);
  }
});

Deno.test("saveSaeLens: a scale normalization is folded into the weights, with the same features", async () => {
  await using dir = await tempDir();
  for (const architecture of ["jumprelu", "topk"] as const) {
    const factor = 3.7;
    // Gates at least a margin from flipping, so that the fold's rounding cannot change an active set.
    const fixture = gatedFixture({
      dIn: 24,
      dSae: 96,
      rows: 8,
      architecture,
      ...(architecture === "topk" && { k: 8, topkOrder: "topk-then-relu" as const }),
      applyBDecToInput: true,
      encoderTransposed: false,
      normalization: { kind: "scale", factor },
      seed: 41,
    });
    const folder = join(dir.path, architecture);
    await saveSaeLens(folder, fixture.spec);
    const cfg = JSON.parse(await Deno.readTextFile(join(folder, "cfg.json")));
    assert.equal(cfg.normalize_activations, "none");
    const loaded = await loadSaeLens(folder);
    assert.deepEqual(loaded.normalization, { kind: "none" });

    const original = await expectedTensors(fixture.spec);
    const folded = await expectedTensors(loaded);
    const s = Math.fround(factor);
    assert.deepEqual(folded.get("W_enc"), original.get("W_enc")!.map((w) => w * s));
    assert.deepEqual(folded.get("W_dec"), original.get("W_dec")!.map((w) => w / s));
    assert.deepEqual(folded.get("b_dec"), original.get("b_dec")!.map((b) => b / s));
    assert.deepEqual(bytesOf(folded.get("b_enc")!), bytesOf(original.get("b_enc")!));
    if (architecture === "jumprelu") {
      assert.deepEqual(bytesOf(folded.get("threshold")!), bytesOf(original.get("threshold")!));
    }

    const before = await encode(fixture.spec, fixture.x, fixture.rows);
    const after = await encode(loaded, fixture.x, fixture.rows);
    assert.ok(before.indices.length > 0);
    for (let r = 0; r < fixture.rows; r++) {
      const [want, got] = [csrRow(before, r), csrRow(after, r)];
      assert.deepEqual(got.indices, want.indices, `${architecture} row ${r}: active set`);
      got.values.forEach((v, e) =>
        assert.ok(
          Math.abs(v - want.values[e]) <= 1e-5 * Math.max(1, Math.abs(want.values[e])),
          `${architecture} row ${r} feature ${got.indices[e]}: ${v} vs ${want.values[e]}`,
        )
      );
    }
  }
});

/** Parses the folder as SAELens would see it, with nothing but the standard library and NumPy. */
const PY_READER = `
import hashlib, json, struct, sys
import numpy as np
folder = sys.argv[1]
with open(folder + "/sae_weights.safetensors", "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
meta = header.pop("__metadata__", None)
data = raw[8 + n:]
tensors = {}
spans = []
for name, e in header.items():
    begin, end = e["data_offsets"]
    spans.append((begin, end))
    a = np.frombuffer(data[begin:end], dtype="<f4").reshape(e["shape"])
    tensors[name] = {
        "dtype": e["dtype"], "shape": list(a.shape),
        "sum": float(a.astype(np.float64).sum()),
        "sha256": hashlib.sha256(data[begin:end]).hexdigest(),
    }
spans.sort()
contiguous = spans[0][0] == 0 and spans[-1][1] == len(data) and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
with open(folder + "/cfg.json") as f:
    cfg = json.load(f)
print(json.dumps({"tensors": tensors, "meta": meta, "contiguous": contiguous, "cfg": cfg}))
`;

interface PyFolder {
  tensors: Record<string, { dtype: string; shape: number[]; sum: number; sha256: string }>;
  meta: Record<string, string> | null;
  contiguous: boolean;
  cfg: Record<string, unknown> & { metadata: Record<string, unknown> };
}

async function sha256(values: Float32Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(values.slice().buffer));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("saveSaeLens: Python's stdlib and NumPy read the weights and cfg.json as SAELens 6 does", async () => {
  await using dir = await tempDir();
  const fixture = gatedFixture({ ...CASES[0], seed: 77 });
  const spec: SaeSpec = { ...fixture.spec, hookName: "blocks.5.hook_resid_post", modelId: "gemma-2-2b" };
  await saveSaeLens(dir.path, spec, { metadata: { context_size: 1024, prepend_bos: false } });
  const py = await python<PyFolder>(PY_READER, dir.path);

  assert.ok(py.contiguous, "tensor data covers the buffer without gaps");
  assert.deepEqual(py.meta, { format: "pt" });
  const { dIn, dSae } = spec;
  const shapes: Record<string, number[]> = {
    W_enc: [dIn, dSae],
    W_dec: [dSae, dIn],
    b_enc: [dSae],
    b_dec: [dIn],
    threshold: [dSae],
  };
  assert.deepEqual(Object.keys(py.tensors).sort(), Object.keys(shapes).sort());
  for (const [name, values] of await expectedTensors(spec)) {
    const t = py.tensors[name];
    assert.equal(t.dtype, "F32", name);
    assert.deepEqual(t.shape, shapes[name], name);
    assert.equal(t.sha256, await sha256(values), `${name}: bytes`);
    const sum = values.reduce((a, v) => a + v, 0);
    const scale = values.reduce((a, v) => a + Math.abs(v), 0);
    assert.ok(Math.abs(t.sum - sum) <= 1e-9 * Math.max(scale, 1), `${name}: sum ${t.sum} vs ${sum}`);
  }

  const { metadata, ...top } = py.cfg;
  assert.deepEqual(top, {
    architecture: "jumprelu",
    d_in: dIn,
    d_sae: dSae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: false,
    normalize_activations: "none",
    reshape_activations: "none",
  });
  assert.deepEqual(metadata, {
    sae_lens_version: "6.0.0",
    sae_lens_training_version: null,
    model_name: "gemma-2-2b",
    hook_name: "blocks.5.hook_resid_post",
    hook_head_index: null,
    prepend_bos: false, // the caller's metadata wins
    neuronpedia_id: null,
    saeflow_version: SAEFLOW_VERSION,
    context_size: 1024,
  });

  // A topk config adds k and an explicit rescale_acts_by_decoder_norm.
  const topk = join(dir.path, "topk");
  await saveSaeLens(topk, randomSae({ dIn: 8, dSae: 32, k: 5, seed: 1 }));
  const cfg = (await python<PyFolder>(PY_READER, topk)).cfg;
  assert.equal(cfg.architecture, "topk");
  assert.equal(cfg.k, 5);
  assert.equal(cfg.rescale_acts_by_decoder_norm, false);
  assert.equal(cfg.metadata.hook_name, null);
});

Deno.test("saveSaeLens: an SAE without W_dec is a ConfigError naming its source, and nothing is written", async () => {
  await using dir = await tempDir();
  const spec = randomSae({ dIn: 8, dSae: 16, k: 4, seed: 2 });
  delete spec.weights.W_dec;
  const folder = join(dir.path, "out");
  await assertRejects(saveSaeLens(folder, spec), ConfigError, spec.source, "W_dec");
  await assert.rejects(Deno.stat(folder), Deno.errors.NotFound);

  const wrong = randomSae({ dIn: 8, dSae: 16, k: 4, seed: 2 });
  wrong.dIn = 9;
  await assertRejects(saveSaeLens(folder, wrong), ConfigError, wrong.source, "W_enc");
});
