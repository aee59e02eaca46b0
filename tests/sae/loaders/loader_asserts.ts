/** Assertions shared by the loader tests: a spec's tensors against what the Python writer reported. */
import assert from "node:assert/strict";
import type { SaeSpec, SaeTensor } from "../../../modules/sae/sae_spec.ts";
import { bitsOf, type PyWritten } from "../../io/tensors/python_safetensors.ts";
import { hexAt } from "./python_sae_folder.ts";

/** `t` refers to `written`'s bytes in `file` in place, and those bytes are the ones Python wrote. */
export async function assertStored(
  t: SaeTensor | undefined,
  file: string,
  written: PyWritten,
  dtype: "F32" | "F16" | "BF16",
  shape: number[],
): Promise<void> {
  assert.ok(t && "stored" in t, `expected a stored tensor, got ${JSON.stringify(t)}`);
  assert.deepEqual(t.shape, shape);
  assert.deepEqual(t.stored, { file, offset: written.begin, length: written.end - written.begin, dtype });
  assert.equal(await hexAt(file, t.stored.offset, t.stored.length), written.hex);
}

/** `t` holds `written`'s values as float32, bit for bit. */
export function assertRead(t: SaeTensor | undefined, written: PyWritten, shape: number[]): void {
  assert.ok(t && "data" in t, `expected a tensor in memory, got ${JSON.stringify(t)}`);
  assert.deepEqual(t.shape, shape);
  assert.deepEqual(bitsOf(t.data), written.f32bits);
}

/** The spec without its weights, for comparing the descriptive fields. */
export function fieldsOf(spec: SaeSpec): Omit<SaeSpec, "weights"> {
  const { weights: _, ...fields } = spec;
  return fields;
}

/** Asserts that `promise` rejects with an error of `type` whose message contains every one of `parts`. */
export async function assertRejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  ...parts: string[]
): Promise<Error> {
  const error = await promise.then(
    () => assert.fail(`expected a ${type.name}, but it resolved`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof type, `expected a ${type.name}, got ${error}`);
  for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" lacks "${part}"`);
  return error;
}
