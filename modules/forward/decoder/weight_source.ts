/**
 * Where a decoder's weights come from (a safetensors checkpoint, an imported llama2.c file), by Hugging Face name.
 * @module
 */
import { DataError } from "@saeflow/core";

/** Named float32 tensors, read on demand. */
export interface WeightSource {
  /** File or folder the weights come from, for error messages. */
  readonly source: string;
  /** The tensor's shape, or undefined when the source has no tensor of that name. */
  shape(name: string): readonly number[] | undefined;
  readFloat32(name: string): Promise<Float32Array>;
  /** The file that holds `name`, when the source spans several (a sharded checkpoint); errors name it. */
  fileOf?(name: string): string;
  /**
   * Where `name`'s bytes sit on disk, when they can be used in place (a safetensors shard): the graph then refers to
   * them as ONNX external data instead of copying them through JS memory.
   */
  external?(name: string): StoredTensor | undefined;
}

/** A tensor's bytes in a file, little-endian, row-major. */
export interface StoredTensor {
  file: string;
  offset: number;
  length: number;
  dtype: "F32" | "F16" | "BF16";
}

/** Checks that `name` exists with the `expected` shape, naming the source, tensor and both shapes when not. */
export function checkWeightShape(weights: WeightSource, name: string, expected: readonly number[]): void {
  const shape = weights.shape(name);
  if (shape === undefined) {
    throw new DataError(weights.source, {}, `tensor "${name}" is missing`, `shape [${expected.join(", ")}]`);
  }
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new DataError(
      weights.fileOf?.(name) ?? weights.source,
      {},
      `tensor "${name}" has shape [${shape.join(", ")}], which does not fit the model config`,
      `[${expected.join(", ")}]`,
    );
  }
}

/** Reads a tensor after checking its shape (see {@link checkWeightShape}). */
export async function readWeight(
  weights: WeightSource,
  name: string,
  expected: readonly number[],
): Promise<Float32Array> {
  checkWeightShape(weights, name, expected);
  return await weights.readFloat32(name);
}

/** A WeightSource over tensors already in memory (imported checkpoints, tests). */
export class MemoryWeights implements WeightSource {
  constructor(
    readonly source: string,
    readonly tensors: ReadonlyMap<string, { data: Float32Array; shape: number[] }>,
  ) {}
  shape(name: string): readonly number[] | undefined {
    return this.tensors.get(name)?.shape;
  }
  readFloat32(name: string): Promise<Float32Array> {
    const tensor = this.tensors.get(name);
    if (!tensor) return Promise.reject(new DataError(this.source, {}, `tensor "${name}" is missing`));
    return Promise.resolve(tensor.data);
  }
}
