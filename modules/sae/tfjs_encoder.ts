/**
 * The SAE encoder on TensorFlow.js (backends `wasm`, `webgpu` or `cpu`): the same contract and semantics as the ONNX
 * Runtime {@link SaeEncoder} (every architecture, input normalization, `applyBDecToInput`, `encoderTransposed`),
 * for machines or runtimes where ORT is not wanted. The pre-activations `x @ W_enc + b_enc` are computed by tfjs, one
 * block of features at a time; the gate (jumprelu / relu / top-k) and the sparse extraction run in JS on each dense
 * block as it is read back, so no more than one block of `[rows, features]` is ever dense.
 *
 * Weights stored on disk (safetensors entries, npz members: F32, BF16 or F16) are read block by block with positioned
 * reads, so JS holds at most one block of W_enc while the backend holds the whole of it.
 *
 * The backend is started by {@link startTfjsBackend}. tfjs has one active backend per process: an encoder switches
 * to its own before each call.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "@saeflow/core";
import { bfloat16ToFloat32Array, DTYPE_BYTES, float16ToFloat32Array } from "@saeflow/io";
import type { EncodeResult, FeatureEncoder } from "./sae_encoder.ts";
import type { SaeSpec, SaeTensor } from "./sae_spec.ts";
import type { SparseFeatures } from "./sparse_features.ts";
import { startTfjsBackend, type TfjsBackend } from "./tfjs_backend.ts";

/** Options for {@link TfjsSaeEncoder.create}. */
export interface TfjsSaeEncoderOptions {
  /** Default `"wasm"`. */
  backend?: TfjsBackend;
  /**
   * Largest tensor the encoder makes, in bytes: W_enc is split into blocks of features, and the rows of a call into
   * blocks of rows, to stay under it. Default 128 MiB, or less when the WebGPU adapter's storage-buffer binding limit
   * is lower (binding a bigger buffer fails).
   */
  maxBlockBytes?: number;
}

const DEFAULT_BLOCK_BYTES = 128 * 2 ** 20;
const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Room left in the wasm heap for inputs, one block of outputs and tfjs's own state. */
const WASM_HEAP_RESERVE = 512 * 2 ** 20;

/** One block of features: W_enc's columns `[start, start + width)` and their biases. */
interface FeatureBlock {
  start: number;
  width: number;
  /** `[dIn, width]`, whatever the stored layout. */
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** One SAE on one tfjs backend. */
export class TfjsSaeEncoder implements FeatureEncoder {
  #released = false;

  private constructor(
    readonly spec: SaeSpec,
    readonly backend: TfjsBackend,
    private readonly blocks: FeatureBlock[],
    private readonly bDec: tf.Tensor1D | undefined,
    /** Per feature: a value is active when above this (relu: 0; jumprelu: max(threshold, 0)). */
    private readonly gate: Float32Array | undefined,
    private readonly rowBlock: number,
  ) {}

  /**
   * Starts the backend and moves the SAE's weights onto it.
   *
   * @example
   * ```ts
   * const encoder = await TfjsSaeEncoder.create(spec, { backend: "wasm" });
   * const { features } = await encoder.encode(rowsOfActivations, rowCount);
   * encoder.release();
   * ```
   */
  static async create(spec: SaeSpec, options: TfjsSaeEncoderOptions = {}): Promise<TfjsSaeEncoder> {
    const { backend = "wasm" } = options;
    const { dIn, dSae, weights } = spec;
    if (spec.architecture === "topk") {
      const k = spec.k;
      if (!(Number.isInteger(k) && k! > 0 && k! <= dSae)) {
        throw new ConfigError(`${spec.source}: topk SAE needs k in 1..${dSae}, got ${k}`);
      }
    } else if (spec.architecture !== "jumprelu" && spec.architecture !== "relu") {
      throw new ConfigError(`${spec.source}: unknown SAE architecture "${spec.architecture}"`);
    }
    // XNNPACK packs each W_enc block into a copy of its own on first use, inside wasm32's 4 GiB heap.
    const encoderBytes = 4 * dIn * dSae;
    if (backend === "wasm" && 2 * encoderBytes > WASM_HEAP_BYTES - WASM_HEAP_RESERVE) {
      throw new ConfigError(
        `${spec.source}: W_enc (${dIn} x ${dSae} float32, ${(encoderBytes / 2 ** 30).toFixed(2)} GiB) and the ` +
          `packed copy tfjs-wasm makes of it do not fit in a wasm heap (4 GiB at most); use the ONNX Runtime ` +
          `SaeEncoder, or the webgpu backend`,
      );
    }
    const need = (name: string, t: SaeTensor | undefined): SaeTensor => {
      if (!t) throw new ConfigError(`${spec.source}: SAE has no ${name}; the ${spec.architecture} encoder needs it`);
      return t;
    };
    const wEnc = need("W_enc", weights.W_enc);
    const bEnc = await readVector(spec, "b_enc", need("b_enc", weights.b_enc), dSae);
    const bDec = spec.applyBDecToInput ? await readVector(spec, "b_dec", need("b_dec", weights.b_dec), dIn) : undefined;
    let gate: Float32Array | undefined;
    if (spec.architecture === "jumprelu") {
      gate = await readVector(spec, "threshold", need("threshold", weights.threshold), dSae);
      for (let j = 0; j < dSae; j++) gate[j] = Math.max(gate[j], 0); // relu(pre) > 0 as well
    } else if (spec.architecture === "relu") {
      gate = new Float32Array(dSae);
    }

    const { maxBindingBytes } = await startTfjsBackend(backend);
    const maxBytes = Math.min(options.maxBlockBytes ?? DEFAULT_BLOCK_BYTES, maxBindingBytes);
    const maxWidth = Math.floor(maxBytes / 4 / dIn);
    if (maxWidth < 1) throw new ConfigError(`maxBlockBytes ${maxBytes} cannot hold one feature of ${dIn} inputs`);
    const blockCount = Math.ceil(dSae / maxWidth);
    const width = Math.ceil(dSae / blockCount);
    const rowBlock = Math.max(1, Math.floor(maxBytes / 4 / Math.max(width, dIn)));

    const transposed = weights.encoderTransposed ?? false;
    const reader = await EncoderReader.open(spec, wEnc, transposed);
    const blocks: FeatureBlock[] = [];
    let bDecTensor: tf.Tensor1D | undefined;
    try {
      for (let start = 0; start < dSae; start += width) {
        const w = Math.min(width, dSae - start);
        const values = await reader.columns(start, w);
        blocks.push({
          start,
          width: w,
          w: tf.tensor2d(values, [dIn, w]),
          b: tf.tensor1d(bEnc.subarray(start, start + w)),
        });
      }
      bDecTensor = bDec ? tf.tensor1d(bDec) : undefined;
    } catch (error) {
      for (const block of blocks) tf.dispose([block.w, block.b]);
      throw error;
    } finally {
      reader.close();
    }
    return new TfjsSaeEncoder(spec, backend, blocks, bDecTensor, gate, rowBlock);
  }

  /** Encodes `rows` rows of `x` (`[rows, dIn]`, row-major). */
  async encode(x: Float32Array, rows: number): Promise<EncodeResult> {
    const { dIn, dSae } = this.spec;
    if (x.length !== rows * dIn) throw new RangeError(`encode: ${x.length} values for ${rows} rows of ${dIn}`);
    if (this.#released) throw new Error(`encode: this TfjsSaeEncoder was released`);
    await startTfjsBackend(this.backend);
    const sink = this.gate ? new ThresholdRows(rows, dSae, this.gate) : new TopKRows(rows, dSae, this.spec.k!);
    for (let r0 = 0; r0 < rows; r0 += this.rowBlock) {
      const n = Math.min(this.rowBlock, rows - r0);
      const input = tf.tidy(() => this.preprocess(tf.tensor2d(x.subarray(r0 * dIn, (r0 + n) * dIn), [n, dIn])));
      try {
        for (const { start, width, w, b } of this.blocks) {
          const pre = tf.tidy(() => tf.fused.matMul({ a: input, b: w, bias: b }));
          let values: Float32Array;
          try {
            values = (await pre.data()) as Float32Array;
          } finally {
            pre.dispose();
          }
          sink.add(values, r0, n, start, width);
        }
      } finally {
        input.dispose();
      }
    }
    return { features: sink.finish() };
  }

  /** Frees the weights on the backend. */
  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      for (const { w, b } of this.blocks) tf.dispose([w, b]);
      this.bDec?.dispose();
    }
    return Promise.resolve();
  }

  /** The runtime normalization and b_dec centering, as in the ONNX graph (float32 throughout). */
  private preprocess(x: tf.Tensor2D): tf.Tensor2D {
    const { normalization: n, dIn } = this.spec;
    let v: tf.Tensor2D;
    switch (n.kind) {
      case "none":
        v = x;
        break;
      case "scale":
        v = tf.mul(x, tf.scalar(n.factor));
        break;
      case "constant_norm_rescale": {
        const norm = tf.sqrt(tf.sum(tf.mul(x, x), -1, true));
        v = tf.mul(x, tf.div(tf.scalar(Math.sqrt(dIn)), norm));
        break;
      }
      case "layer_norm": {
        // SAELens: (x - mean) / (std + 1e-5), std Bessel-corrected.
        const centered = tf.sub(x, tf.mean(x, -1, true));
        const variance = tf.div(tf.sum(tf.mul(centered, centered), -1, true), tf.scalar(dIn - 1));
        v = tf.div(centered, tf.add(tf.sqrt(variance), tf.scalar(1e-5)));
        break;
      }
      default:
        throw new ConfigError(
          `${this.spec.source}: unknown input normalization "${(n as { kind: string }).kind}"`,
        );
    }
    return this.bDec ? tf.sub(v, this.bDec) : v;
  }
}

/** Threshold gates (jumprelu, relu): every value above its feature's gate, row by row in feature order. */
class ThresholdRows {
  readonly #indices: number[][];
  readonly #values: number[][];

  constructor(readonly rows: number, readonly dSae: number, readonly gate: Float32Array) {
    this.#indices = Array.from({ length: rows }, () => []);
    this.#values = Array.from({ length: rows }, () => []);
  }

  /** Rows `[r0, r0 + n)` of pre-activations for features `[start, start + width)`, row-major. */
  add(pre: Float32Array, r0: number, n: number, start: number, width: number): void {
    const gate = this.gate.subarray(start, start + width);
    for (let r = 0; r < n; r++) {
      const indices = this.#indices[r0 + r], values = this.#values[r0 + r];
      const base = r * width;
      for (let j = 0; j < width; j++) {
        const v = pre[base + j];
        if (v > gate[j]) {
          indices.push(start + j);
          values.push(v);
        }
      }
    }
  }

  finish(): SparseFeatures {
    return toCsr(this.rows, this.dSae, this.#indices, this.#values);
  }
}

/**
 * Top-k: the k largest pre-activations of each row, kept when positive (the same set whether ReLU comes before or
 * after the selection). A min-heap per row; on equal values the lower feature id wins, as in ONNX Runtime's TopK.
 */
class TopKRows {
  readonly #heapValues: Float32Array;
  readonly #heapIndices: Int32Array;
  readonly #sizes: Int32Array;

  constructor(readonly rows: number, readonly dSae: number, readonly k: number) {
    this.#heapValues = new Float32Array(rows * k);
    this.#heapIndices = new Int32Array(rows * k);
    this.#sizes = new Int32Array(rows);
  }

  add(pre: Float32Array, r0: number, n: number, start: number, width: number): void {
    const k = this.k, hv = this.#heapValues, hi = this.#heapIndices;
    for (let r = 0; r < n; r++) {
      const row = r0 + r, h = row * k;
      let size = this.#sizes[row];
      const base = r * width;
      for (let j = 0; j < width; j++) {
        const v = pre[base + j];
        if (!(v > 0)) continue;
        if (size < k) {
          // Sift up.
          let at = size++;
          while (at > 0) {
            const parent = (at - 1) >> 1;
            if (!less(v, start + j, hv[h + parent], hi[h + parent])) break;
            hv[h + at] = hv[h + parent];
            hi[h + at] = hi[h + parent];
            at = parent;
          }
          hv[h + at] = v;
          hi[h + at] = start + j;
        } else if (less(hv[h], hi[h], v, start + j)) {
          // Replace the smallest, sift down.
          let at = 0;
          for (;;) {
            const left = 2 * at + 1;
            if (left >= k) break;
            const right = left + 1;
            const child = right < k && less(hv[h + right], hi[h + right], hv[h + left], hi[h + left]) ? right : left;
            if (!less(hv[h + child], hi[h + child], v, start + j)) break;
            hv[h + at] = hv[h + child];
            hi[h + at] = hi[h + child];
            at = child;
          }
          hv[h + at] = v;
          hi[h + at] = start + j;
        }
      }
      this.#sizes[row] = size;
    }
  }

  finish(): SparseFeatures {
    const k = this.k;
    const indices: number[][] = [], values: number[][] = [];
    for (let row = 0; row < this.rows; row++) {
      const size = this.#sizes[row], h = row * k;
      const order = Array.from({ length: size }, (_, i) => h + i).sort((a, b) =>
        this.#heapIndices[a] - this.#heapIndices[b]
      );
      indices.push(order.map((i) => this.#heapIndices[i]));
      values.push(order.map((i) => this.#heapValues[i]));
    }
    return toCsr(this.rows, this.dSae, indices, values);
  }
}

/** Heap order: a ranks below b (smaller value, or equal value and higher feature id). */
function less(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia > ib);
}

function toCsr(rows: number, dSae: number, indices: number[][], values: number[][]): SparseFeatures {
  const rowPtr = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) rowPtr[r + 1] = rowPtr[r] + indices[r].length;
  const flatIndices = new Int32Array(rowPtr[rows]);
  const flatValues = new Float32Array(rowPtr[rows]);
  for (let r = 0; r < rows; r++) {
    flatIndices.set(indices[r], rowPtr[r]);
    flatValues.set(values[r], rowPtr[r]);
  }
  return { rows, dSae, rowPtr, indices: flatIndices, values: flatValues };
}

/** A whole vector (b_enc, b_dec, threshold) as float32. */
async function readVector(spec: SaeSpec, name: string, t: SaeTensor, length: number): Promise<Float32Array> {
  if ("data" in t) {
    if (t.data.length !== length) {
      throw new ConfigError(`${spec.source}: ${name} has ${t.data.length} values, expected ${length}`);
    }
    return t.data.slice();
  }
  checkStored(spec, name, t.stored, length);
  using file = await Deno.open(t.stored.file);
  return decode(t.stored.dtype, await readAt(file, t.stored.file, t.stored.offset, t.stored.length));
}

/** Reads W_enc one block of features at a time, from memory or with positioned reads from its file. */
class EncoderReader {
  private constructor(
    private readonly spec: SaeSpec,
    private readonly tensor: SaeTensor,
    private readonly transposed: boolean,
    private readonly file: Deno.FsFile | undefined,
  ) {}

  static async open(spec: SaeSpec, tensor: SaeTensor, transposed: boolean): Promise<EncoderReader> {
    const total = spec.dIn * spec.dSae;
    if ("data" in tensor) {
      if (tensor.data.length !== total) {
        throw new ConfigError(
          `${spec.source}: W_enc has ${tensor.data.length} values, expected ${spec.dIn} x ${spec.dSae} = ${total}`,
        );
      }
      return new EncoderReader(spec, tensor, transposed, undefined);
    }
    checkStored(spec, "W_enc", tensor.stored, total);
    return new EncoderReader(spec, tensor, transposed, await Deno.open(tensor.stored.file));
  }

  /**
   * Features `[start, start + width)` as `[dIn, width]`: a strided slice of every row of `[dIn, dSae]`, or a
   * contiguous block of `[dSae, dIn]` transposed (tfjs-wasm's matMul with transposeB is 10-20x slower, and its fused
   * bias is wrong with transposeB in 4.22).
   */
  async columns(start: number, width: number): Promise<Float32Array> {
    const { dIn, dSae } = this.spec;
    if ("data" in this.tensor) {
      const data = this.tensor.data;
      if (this.transposed) return transpose(data.subarray(start * dIn, (start + width) * dIn), width, dIn);
      const out = new Float32Array(dIn * width);
      for (let i = 0; i < dIn; i++) out.set(data.subarray(i * dSae + start, i * dSae + start + width), i * width);
      return out;
    }
    const { file: path, offset, dtype } = this.tensor.stored;
    const size = DTYPE_BYTES[dtype];
    if (this.transposed) {
      const block = decode(dtype, await readAt(this.file!, path, offset + start * dIn * size, width * dIn * size));
      return transpose(block, width, dIn);
    }
    const bytes = new Uint8Array(dIn * width * size);
    for (let i = 0; i < dIn; i++) {
      await readInto(
        this.file!,
        path,
        offset + (i * dSae + start) * size,
        bytes.subarray(i * width * size, (i + 1) * width * size),
      );
    }
    return decode(dtype, bytes);
  }

  close(): void {
    this.file?.close();
  }
}

function checkStored(spec: SaeSpec, name: string, stored: { dtype: string; length: number }, count: number): void {
  if (stored.dtype !== "F32" && stored.dtype !== "BF16" && stored.dtype !== "F16") {
    throw new ConfigError(`${spec.source}: ${name} is stored as ${stored.dtype}; expected F32, BF16 or F16`);
  }
  const expected = count * DTYPE_BYTES[stored.dtype];
  if (stored.length !== expected) {
    throw new ConfigError(`${spec.source}: ${name} has ${stored.length} bytes on disk, expected ${expected}`);
  }
}

/** `[rows, cols]` to `[cols, rows]`, in tiles (cache-friendly for wide matrices). */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  const tile = 64;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const r1 = Math.min(r0 + tile, rows), c1 = Math.min(c0 + tile, cols);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = values[r * cols + c];
    }
  }
  return out;
}

function decode(dtype: "F32" | "F16" | "BF16", bytes: Uint8Array): Float32Array {
  if (dtype === "F32") return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return dtype === "BF16" ? bfloat16ToFloat32Array(bits) : float16ToFloat32Array(bits);
}

async function readAt(file: Deno.FsFile, path: string, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await readInto(file, path, position, bytes);
  return bytes;
}

async function readInto(file: Deno.FsFile, path: string, position: number, into: Uint8Array): Promise<void> {
  await file.seek(position, Deno.SeekMode.Start);
  for (let filled = 0; filled < into.length;) {
    const n = await file.read(into.subarray(filled));
    if (n === null) {
      throw new ConfigError(`${path} ended before byte ${position + into.length}: truncated?`);
    }
    filled += n;
  }
}
