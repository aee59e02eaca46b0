/**
 * The wasm backend's matmul kernels with transposed operands (replaced by explicit Transpose + product, because
 * tfjs-wasm's own transposed path is 10–30× slower): equal to a naive float64 product, through gradients too.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "@saeflow/core";
import { startTfjsBackend, TFJS_NODE_PACKAGES } from "@saeflow/sae";
import { mulberry32 } from "../random.ts";

/** Plain-JS `op(A) @ op(B)` in float64, the reference for the transposed products. */
function naiveMatMul(
  a: Float32Array,
  aShape: [number, number],
  b: Float32Array,
  bShape: [number, number],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const [m, k] = transposeA ? [aShape[1], aShape[0]] : aShape;
  const n = transposeB ? bShape[0] : bShape[1];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transposeA ? a[p * aShape[1] + i] : a[i * aShape[1] + p];
        const bv = transposeB ? b[j * bShape[1] + p] : b[p * bShape[1] + j];
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

Deno.test("tfjs wasm: matMul with transposed operands (explicit transpose kernels) equals the naive product, leaks no tensors", async () => {
  await startTfjsBackend("wasm");
  const random = mulberry32(3);
  const values = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
  const [m, k, n] = [37, 19, 23];
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const aShape: [number, number] = transposeA ? [k, m] : [m, k];
    const bShape: [number, number] = transposeB ? [n, k] : [k, n];
    const a = values(m * k), b = values(k * n);
    const before = tf.memory().numTensors;
    const [ta, tb] = [tf.tensor2d(a, aShape), tf.tensor2d(b, bShape)];
    const product = tf.matMul(ta, tb, transposeA, transposeB);
    const got = product.dataSync();
    tf.dispose([ta, tb, product]);
    assert.equal(tf.memory().numTensors, before);
    const want = naiveMatMul(a, aShape, b, bShape, transposeA, transposeB);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert(worst < 1e-5, `transposeA=${transposeA} transposeB=${transposeB}: max diff ${worst}`);
  }
  // Batched (rank 3) operands, through the gradient of a product.
  const x = tf.tensor3d(values(2 * 5 * 4), [2, 5, 4]);
  const w = tf.tensor3d(values(2 * 4 * 3), [2, 4, 3]);
  const [gx, gw] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q).sum())([x, w]);
  const ones = tf.ones([2, 5, 3]);
  const wantGx = tf.matMul(ones, tf.transpose(w, [0, 2, 1]));
  const wantGw = tf.matMul(tf.transpose(x, [0, 2, 1]), ones);
  assert(tf.max(tf.abs(gx.sub(wantGx))).dataSync()[0] < 1e-5);
  assert(tf.max(tf.abs(gw.sub(wantGw))).dataSync()[0] < 1e-5);
  tf.dispose([x, w, gx, gw, ones, wantGx, wantGw]);
});

Deno.test("tfjs backend tensorflow: without tfjs-node installed, a ConfigError says what to install", async () => {
  const installed = await Promise.any(
    TFJS_NODE_PACKAGES.map((name) => import(name).then(() => true)),
  ).catch(() => false);
  if (installed) {
    await startTfjsBackend("tensorflow");
    assert.equal(tf.getBackend(), "tensorflow");
    await startTfjsBackend("wasm");
    return;
  }
  await assert.rejects(
    startTfjsBackend("tensorflow"),
    (e) => e instanceof ConfigError && /@tensorflow\/tfjs-node/.test(e.message) && /npm install/.test(e.message),
  );
  await assert.rejects(
    startTfjsBackend("tpu" as never),
    (e) => e instanceof ConfigError && /expected one of/.test(e.message),
  );
});
