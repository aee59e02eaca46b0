/**
 * The JSON header of a safetensors file, parsed and checked against the file it came from: every entry has a
 * known dtype, a shape and data offsets whose length fits that shape, lies inside the file, and overlaps no other.
 * Gaps between tensors are tolerated (the reference reader rejects them; they cost nothing to skip).
 * @module
 */
import { DataError } from "@saeflow/core";
import { DTYPE_BYTES, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from "./dtype.ts";

/** One tensor of a safetensors file. `begin` and `end` are absolute byte offsets in the file (`[begin, end)`). */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** What the header says, with offsets made absolute. */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

/** The reference implementation's bound: a longer "header" is a wrong file, not a header worth allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA = "__metadata__";

/**
 * Parses the header bytes of the file at `path` (`fileSize` bytes in all; the header has `headerBytes.length` bytes
 * after the 8-byte length prefix, and the data section follows it).
 *
 * @example
 * ```ts
 * const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
 * const { tensors } = parseSafetensorsHeader("w.safetensors", new TextEncoder().encode(json), 8 + json.length + 8);
 * tensors.get("w"); // { name: "w", dtype: "F32", shape: [2], begin: 8 + json.length, end: 16 + json.length }
 * ```
 */
export function parseSafetensorsHeader(path: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const fail = (problem: string, expected?: string): never => {
    throw new DataError(path, {}, problem, expected);
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new DataError(
      path,
      {},
      `the ${headerBytes.length}-byte header is not JSON (${(error as Error).message})`,
      "a safetensors file: an 8-byte little-endian header length, then a UTF-8 JSON object",
      { cause: error },
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail(`the header is JSON ${describe(header)}, not an object`, "an object mapping tensor names to entries");
  }
  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  const metadata = parseMetadata(fail, (header as Record<string, unknown>)[METADATA]);
  const tensors = new Map<string, TensorEntry>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA) continue;
    const tensor = `tensor ${JSON.stringify(name)}`;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${tensor}: entry is ${describe(value)}`, 'an object with "dtype", "shape" and "data_offsets"');
    }
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    for (const [key, found] of [["dtype", dtype], ["shape", shape], ["data_offsets", offsets]] as const) {
      if (found === undefined) {
        fail(`${tensor}: entry has no "${key}"`, 'an object with "dtype", "shape" and "data_offsets"');
      }
    }
    if (!isSafetensorsDtype(dtype)) {
      fail(`${tensor}: unknown dtype ${JSON.stringify(dtype)}`, `one of ${SAFETENSORS_DTYPES.join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      fail(`${tensor}: shape ${JSON.stringify(shape)} is not a list of sizes`, "a list of non-negative integers");
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      fail(
        `${tensor}: data_offsets ${JSON.stringify(offsets)} is not a byte range`,
        "[begin, end] with 0 <= begin <= end",
      );
    }
    const [begin, end] = offsets as [number, number];
    const needed = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== needed) {
      fail(
        `${tensor}: data_offsets [${begin}, ${end}] hold ${
          end - begin
        } bytes, but shape [${shape}] of ${dtype} needs ${needed}`,
        "data_offsets spanning product(shape) × dtype size bytes",
      );
    }
    if (end > dataSize) {
      fail(
        `file is truncated: ${tensor} needs bytes up to ${dataStart + end} but the file has ${fileSize}`,
        "the complete file (re-download or re-copy it)",
      );
    }
    tensors.set(name, {
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      begin: dataStart + begin,
      end: dataStart + end,
    });
  }
  checkOverlaps(fail, [...tensors.values()]);
  return { metadata, tensors };
}

function parseMetadata(fail: (problem: string, expected?: string) => never, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === "string")
  ) {
    fail(`"${METADATA}" is ${JSON.stringify(value)}`, "an object mapping names to strings");
  }
  return { ...(value as Record<string, string>) };
}

/** Empty tensors own no bytes, so they overlap nothing. */
function checkOverlaps(fail: (problem: string, expected?: string) => never, entries: TensorEntry[]): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const [before, after] = [sorted[i - 1], sorted[i]];
    if (after.begin < before.end) {
      fail(
        `tensors ${JSON.stringify(before.name)} (bytes ${before.begin}-${before.end}) and ${
          JSON.stringify(after.name)
        } (bytes ${after.begin}-${after.end}) overlap`,
        "each tensor in its own byte range",
      );
    }
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
