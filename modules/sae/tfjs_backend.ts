/**
 * Starting a TensorFlow.js backend (`wasm`, `webgpu`, `cpu` or `tensorflow`) once per process, for the tfjs SAE
 * encoder and the trainers.
 *
 * Under Deno, `wasm` runs single-threaded with SIMD (the threaded build starts its workers from a Blob URL, which
 * Deno's `worker_threads` refuses); `webgpu` uses Deno's `navigator.gpu` (a software Vulkan adapter works, slowly);
 * `tensorflow` is libtensorflow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, used only where the
 * user installed one of them (they download libtensorflow 2.9 at install time and the GPU build needs CUDA 11.2 and
 * cuDNN 8.1), so neither is a dependency of saeflow.
 *
 * On wasm, tfjs 4.22's BatchMatMul with `transposeA`/`transposeB` leaves XNNPACK for a naive loop: 10–30× slower
 * than transposing first (4096×256 by 256×1024: 1.2–3.6 s against 0.12 s), and every matmul gradient asks for a
 * transposed operand. The backend started here therefore transposes explicitly and then multiplies.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "@saeflow/core";

/** The tfjs backends saeflow can run on. */
export const TFJS_BACKENDS = ["wasm", "webgpu", "cpu", "tensorflow"] as const;

/** The packages that register the `tensorflow` backend, GPU build first. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
export type TfjsBackend = typeof TFJS_BACKENDS[number];

const started = new Map<TfjsBackend, Promise<{ maxBindingBytes: number }>>();

/**
 * Starts (once per process) and activates a tfjs backend; a ConfigError says why when it cannot start.
 * Returns the largest buffer the backend can bind (Infinity where it has no such limit).
 */
export async function startTfjsBackend(backend: TfjsBackend): Promise<{ maxBindingBytes: number }> {
  if (!TFJS_BACKENDS.includes(backend)) {
    throw new ConfigError(`unknown tfjs backend "${backend}"; expected one of ${TFJS_BACKENDS.join(", ")}`);
  }
  let start = started.get(backend);
  if (!start) {
    start = initialize(backend);
    started.set(backend, start);
    start.catch(() => started.delete(backend));
  }
  const info = await start;
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
    throw new ConfigError(`tfjs backend "${backend}" started once but cannot be activated again`);
  }
  return info;
}

async function initialize(backend: TfjsBackend): Promise<{ maxBindingBytes: number }> {
  let maxBindingBytes = Infinity;
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // The .wasm binaries sit beside the package's entry point. The node build finds them by itself under Deno too;
    // naming the folder keeps that true when the entry point is loaded from elsewhere.
    if (!tf.findBackend("wasm")) {
      const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
      try {
        wasm.setWasmPaths(new URL("./", entry).href);
      } catch {
        // Already initialized by someone else in this process: their paths work.
      }
    }
  } else if (backend === "webgpu") {
    const gpu = (navigator as { gpu?: GPU }).gpu;
    if (!gpu) {
      throw new ConfigError(`tfjs backend "webgpu": this runtime has no navigator.gpu (WebGPU is not available)`);
    }
    let adapter: GPUAdapter | null;
    try {
      adapter = await gpu.requestAdapter();
    } catch (error) {
      throw new ConfigError(`tfjs backend "webgpu": requesting a WebGPU adapter failed: ${error}`, { cause: error });
    }
    if (!adapter) {
      throw new ConfigError(
        `tfjs backend "webgpu": navigator.gpu found no adapter (no GPU or Vulkan/Metal/D3D12 driver; on Linux ` +
          `without a GPU, mesa's software Vulkan driver provides one)`,
      );
    }
    maxBindingBytes = adapter.limits.maxStorageBufferBindingSize;
    await import("@tensorflow/tfjs-backend-webgpu");
  } else if (backend === "tensorflow") {
    await importTfjsNode();
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } catch (error) {
    throw new ConfigError(`tfjs backend "${backend}" failed to start: ${error}`, { cause: error });
  }
  if (!ok) {
    throw new ConfigError(
      `tfjs backend "${backend}" failed to start (tfjs logged why above)` +
        (backend === "wasm" ? `; its .wasm files belong in node_modules/@tensorflow/tfjs-backend-wasm/dist/` : ""),
    );
  }
  if (backend === "wasm") multiplyTransposedOperandsExplicitly("wasm");
  return { maxBindingBytes };
}

/** Imports the first installed tfjs-node build, which registers the `tensorflow` backend with tfjs. */
async function importTfjsNode(): Promise<void> {
  const failures: string[] = [];
  for (const name of TFJS_NODE_PACKAGES) {
    try {
      await import(name); // a variable specifier: neither package is a dependency, so nothing resolves it in advance
      return;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new ConfigError(
    `tfjs backend "tensorflow" needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) ` +
      `installed beside @tensorflow/tfjs 4.22 (npm install @tensorflow/tfjs-node@4.22.0; its install script ` +
      `downloads libtensorflow); neither loads here (${failures.join("; ")})`,
  );
}

/** The kernels whose `transposeA`/`transposeB` attributes the wasm backend handles slowly. */
const MATMUL_KERNELS = ["BatchMatMul", "_FusedMatMul"] as const;

/**
 * Replaces the backend's matmul kernels by ones that run its Transpose kernel on a transposed operand and then call
 * the original kernel without transposes. The temporary transposes are freed before returning.
 */
function multiplyTransposedOperandsExplicitly(backendName: string): void {
  const transpose = tf.getKernel("Transpose", backendName)!.kernelFunc;
  for (const kernelName of MATMUL_KERNELS) {
    const original = tf.getKernel(kernelName, backendName);
    if (!original) continue;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      ...original,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
        const temporaries: tf.TensorInfo[] = [];
        const transposed = (x: tf.TensorInfo) => {
          const rank = x.shape.length;
          const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
          const out = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
          temporaries.push(out);
          return out;
        };
        const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const result = original.kernelFunc({
          inputs: { ...inputs, a: transposeA ? transposed(a) : a, b: transposeB ? transposed(b) : b },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
        for (const t of temporaries) (backend as tf.KernelBackend).disposeData(t.dataId);
        return result;
      },
    });
  }
}
