/**
 * Execution providers and dtypes: CPU by default; CUDA and WebGPU on request, with an error that says how to get
 * them when ONNX Runtime cannot start them.
 * @module
 */
import * as ort from "onnxruntime-node";
import { ConfigError } from "@saeflow/core";

/** Where ONNX Runtime runs the graph. */
export const EXECUTION_PROVIDERS = ["cpu", "cuda", "webgpu"] as const;
export type ExecutionProvider = typeof EXECUTION_PROVIDERS[number];

/** Compute precision of a built graph. */
export const DTYPES = ["fp32", "fp16"] as const;
export type Dtype = typeof DTYPES[number];

/** How to obtain each optional provider; shown when it fails to start. */
const HOW_TO_ENABLE: Record<Exclude<ExecutionProvider, "cpu">, string> = {
  cuda: "onnxruntime-node's CUDA 12 provider is not installed: this project sets onnxruntime-node-install=skip in " +
    ".npmrc; on a machine with CUDA 12 and access to NuGet run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`",
  webgpu: "onnxruntime-node's WebGPU provider (Dawn) found no usable GPU adapter: it needs a GPU with a Vulkan " +
    "driver (Mesa's software lavapipe lacks features Dawn requires)",
};

/** Options for {@link createSession}. */
export interface SessionOptions {
  executionProvider?: ExecutionProvider;
  dtype?: Dtype;
  /** Threads for one operator (default: ONNX Runtime's choice, all physical cores). */
  threads?: number;
  /** Folder holding the files the model's external-data initializers name (checkpoint shards, `model.onnx_data`). */
  externalDataFolder?: string;
  /** ONNX Runtime graph optimization level (default `all`). */
  optimization?: "disabled" | "basic" | "extended" | "all";
}

/** Checks that the dtype can run on the provider: fp16 needs a GPU provider (ONNX Runtime's CPU kernels are fp32). */
export function checkDtype(dtype: Dtype, executionProvider: ExecutionProvider): void {
  if (dtype === "fp16" && executionProvider === "cpu") {
    throw new ConfigError(`dtype fp16 needs the cuda or webgpu execution provider; on cpu use fp32`);
  }
}

/**
 * Creates an ONNX Runtime session for a model (bytes or a path), turning provider start-up failures into a
 * ConfigError that names the provider and how to enable it.
 *
 * @example
 * ```ts
 * const session = await createSession(graph.bytes, { executionProvider: "cpu" });
 * ```
 */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const { executionProvider = "cpu", threads, externalDataFolder, optimization = "all" } = options;
  if (!EXECUTION_PROVIDERS.includes(executionProvider)) {
    throw new ConfigError(
      `unknown execution provider "${executionProvider}"; expected one of ${EXECUTION_PROVIDERS.join(", ")}`,
    );
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: optimization,
    ...(threads ? { intraOpNumThreads: threads } : {}),
    // A model built from bytes has no folder of its own: this is where ONNX Runtime then looks for external data.
    extra: {
      session: {
        // Idle pool threads sleep instead of spinning: a pipeline runs the model and each SAE encoder as sessions
        // side by side, and one session's spinning threads starve the others (extract on 2 cores: 7.9k -> 21k
        // tokens/s); a lone session measured no slower.
        "intra_op.allow_spinning": "0",
        ...(externalDataFolder ? { model_external_initializers_file_folder_path: externalDataFolder } : {}),
      },
    },
    logSeverityLevel: 3,
  };
  try {
    return typeof model === "string"
      ? await ort.InferenceSession.create(model, sessionOptions)
      : await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    // Only provider start-up failures are about the provider; a broken model fails the same way on cpu.
    if (executionProvider === "cpu" || !/cuda|webgpu|provider|adapter/i.test(String(error))) throw error;
    throw new ConfigError(
      `execution provider "${executionProvider}" could not start: ${HOW_TO_ENABLE[executionProvider]} ` +
        `(ONNX Runtime said: ${String(error).split("\n")[0].slice(0, 300)})`,
      { cause: error },
    );
  }
}
