/**
 * What every forward path checks before a batch reaches ONNX Runtime, the int64 feeds it needs, and the float32 it
 * hands on: a bad row fails here with the record's id, not deep inside the runtime with a tensor index.
 * @module
 */
import type { Tensor } from "onnxruntime-node";
import { ConfigError, DataError } from "@saeflow/core";
import { float16ToFloat32Array } from "@saeflow/io";
import type { TokenBatch } from "@saeflow/tokenize";

/** The limits of a model that token batches must respect; unknown limits are not checked. */
export interface TokenLimits {
  /** The model's id or path, for error messages. */
  model: string;
  maxPositions?: number;
  vocabSize?: number;
}

/**
 * Throws a DataError naming the first record that is empty, longer than the context, outside the vocabulary, or not
 * right-padded as its length says (the graphs take positions 0..length-1 and the mask's row sums as lengths).
 */
export function checkTokens(tokens: TokenBatch, limits: TokenLimits): void {
  const { model, maxPositions = Infinity, vocabSize = Infinity } = limits;
  if (!(tokens.padId >= 0 && tokens.padId < vocabSize)) {
    throw new DataError(model, {}, `pad id ${tokens.padId} is outside the model's vocabulary`, `0..${vocabSize - 1}`);
  }
  for (let row = 0; row < tokens.batchSize; row++) {
    const id = tokens.records[row]?.id;
    const length = tokens.lengths[row];
    for (let t = 0; t < tokens.seqLen; t++) {
      if (tokens.mask[row * tokens.seqLen + t] !== (t < length ? 1 : 0)) {
        throw new DataError(
          model,
          { id },
          `mask is ${tokens.mask[row * tokens.seqLen + t]} at position ${t} of a row of length ${length}`,
          "right padding: 1 on the first `length` positions, 0 after",
        );
      }
    }
    if (length === 0) {
      throw new DataError(model, { id }, "record has no tokens", "at least one token per record");
    }
    if (length > maxPositions) {
      throw new DataError(
        model,
        { id },
        `record has ${length} tokens, longer than the model's context of ${maxPositions}`,
        `at most ${maxPositions} tokens (set maxTokens to truncate)`,
      );
    }
    for (let t = 0; t < length; t++) {
      const token = tokens.ids[row * tokens.seqLen + t];
      if (!(token >= 0 && token < vocabSize)) {
        throw new DataError(
          model,
          { id },
          `token id ${token} at position ${t} is outside the model's vocabulary`,
          `ids in 0..${vocabSize - 1} (does the tokenizer belong to this model?)`,
        );
      }
    }
  }
}

/** Token ids or mask as the int64 tensor data ONNX models take. */
export function toInt64(values: Int32Array | Uint8Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return out;
}

/** An output tensor's values as float32: fp16 exports give float16 hooks, widened here exactly. */
export function outputAsFloat32(tensor: Tensor, what: string): Float32Array {
  if (tensor.type === "float32") return tensor.data as Float32Array;
  if (tensor.type === "float16") {
    const data = tensor.data as Uint16Array | Float32Array;
    return data instanceof Uint16Array ? float16ToFloat32Array(data) : Float32Array.from(data);
  }
  throw new ConfigError(`${what} is a ${tensor.type} tensor; expected float32 or float16`);
}
