/**
 * SAE folders written by Python's standard library (json for `cfg.json`, struct for the safetensors file), so the
 * loaders are checked against files no code of ours produced.
 */
import { python } from "../../helpers.ts";
import { type PyTensor, pythonWriteSafetensors, type PyWritten } from "../../io/tensors/python_safetensors.ts";

const WRITE_CFG = String.raw`
import json, os, sys
folder, text = sys.argv[1], sys.argv[2]
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "cfg.json"), "w") as f:
    if text.startswith("RAW:"):
        f.write(text[4:])
    else:
        json.dump(json.loads(text), f)
print("null")
`;

/** Writes `folder/cfg.json` with Python's json (`raw` text verbatim, for malformed-config cases). */
export async function pythonWriteCfg(folder: string, cfg: unknown, { raw }: { raw?: string } = {}): Promise<void> {
  await python(WRITE_CFG, folder, raw !== undefined ? `RAW:${raw}` : JSON.stringify(cfg));
}

/** Writes an SAE folder: `cfg.json` and the weights file; returns what the Python writer reports per tensor. */
export async function pythonWriteSaeFolder(
  folder: string,
  cfg: unknown,
  weightsFile: string,
  tensors: PyTensor[],
): Promise<Record<string, PyWritten>> {
  await pythonWriteCfg(folder, cfg);
  return await pythonWriteSafetensors(`${folder}/${weightsFile}`, tensors);
}

/**
 * Deterministic values, exact in F16 and BF16 (at most 7 significant bits), not symmetric, with some negatives:
 * `seed` varies them between tensors.
 */
export function values(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => (((i * 37 + seed * 11) % 101) - 50) / 64);
}

/** A tensor for the Python writer with {@link values}. */
export function tensor(name: string, dtype: PyTensor["dtype"], shape: number[], seed: number): PyTensor {
  return { name, dtype, shape, values: values(shape.reduce((a, b) => a * b, 1), seed) };
}

/** The file's bytes `[offset, offset + length)` as hex, to compare with what Python wrote. */
export async function hexAt(file: string, offset: number, length: number): Promise<string> {
  const bytes = (await Deno.readFile(file)).subarray(offset, offset + length);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
