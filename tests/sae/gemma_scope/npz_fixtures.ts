/**
 * Test fixtures written by NumPy and Python's zipfile (an implementation nobody on this project wrote): `.npz` files
 * the way Gemma Scope ships them, and the ways they can be wrong. Each write returns what NumPy put in the file: every
 * array's little-endian bytes as hex and zipfile's view of every member.
 * @module
 */
import { python } from "../../helpers.ts";

/** One array to write: random normal values from a seeded generator, in a given dtype and memory order. */
export interface ArraySpec {
  shape: number[];
  /** NumPy dtype string; default `<f4`. */
  dtype?: string;
  fortran?: boolean;
  /** `.npy` format version; default NumPy's choice (1.0). */
  version?: [number, number];
}

/**
 * How to write the archive: `savez` and `savez_compressed` are NumPy's own; `zip64` writes every size and offset
 * through the ZIP64 extra field and adds the ZIP64 end records (Python's zipfile with its ZIP64 threshold at 0, so
 * that a small file takes the path of a 19 GB one); `versioned` writes each member with `np.lib.format.write_array`
 * at its `version`.
 */
export type WriteMode = "savez" | "savez_compressed" | "zip64" | "versioned";

/** What NumPy wrote. */
export interface Written {
  /** Per array: shape and the C-order little-endian float32 bytes as hex (the file's bytes for valid members). */
  arrays: Record<string, { shape: number[]; hex: string }>;
  /** zipfile's view of each member. */
  entries: {
    name: string;
    method: number;
    compressedSize: number;
    uncompressedSize: number;
    localHeaderOffset: number;
    crc32: number;
  }[];
  /** Whether the file holds a ZIP64 end-of-central-directory record. */
  zip64EndRecord: boolean;
  size: number;
}

const WRITER = `
import json, os, sys, zipfile
import numpy as np
spec = json.loads(sys.argv[1])
rng = np.random.default_rng(spec.get("seed", 0))
arrays = {}
for name, a in spec["arrays"].items():
    x = rng.standard_normal(a["shape"]).astype(a.get("dtype", "<f4"))
    arrays[name] = np.asfortranarray(x) if a.get("fortran") else x
path, mode = spec["path"], spec.get("mode", "savez")
if mode == "savez" and spec.get("offset"):
    with open(path, "wb") as f:
        f.seek(spec["offset"])
        np.savez(f, **arrays)
elif mode == "savez":
    np.savez(path, **arrays)
elif mode == "savez_compressed":
    np.savez_compressed(path, **arrays)
else:
    if mode == "zip64":
        zipfile.ZIP64_LIMIT = -1
    with zipfile.ZipFile(path, "w") as z:
        if spec.get("comment"):
            z.comment = spec["comment"].encode()
        for name, x in arrays.items():
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                version = spec["arrays"][name].get("version")
                np.lib.format.write_array(f, x, version=tuple(version) if version else None)
with zipfile.ZipFile(path) as z:
    entries = [dict(name=i.filename, method=i.compress_type, compressedSize=i.compress_size,
                    uncompressedSize=i.file_size, localHeaderOffset=i.header_offset, crc32=i.CRC)
               for i in z.infolist()]
size = os.path.getsize(path)
with open(path, "rb") as f:
    f.seek(max(0, size - 70000))
    tail = f.read()
print(json.dumps(dict(
    arrays={n: dict(shape=list(x.shape), hex=np.ascontiguousarray(x).astype("<f4").tobytes().hex())
            for n, x in arrays.items()},
    entries=entries, zip64EndRecord=b"PK\\x06\\x06" in tail, size=size)))
`;

/** Writes an `.npz` at `path` with NumPy. */
export function writeNpz(
  path: string,
  arrays: Record<string, ArraySpec>,
  options: {
    mode?: WriteMode;
    seed?: number;
    comment?: string;
    /** Start the archive this many bytes into the file (`savez` only): a sparse hole puts it past 4 GB cheaply. */
    offset?: number;
  } = {},
): Promise<Written> {
  return python<Written>(WRITER, JSON.stringify({ path, arrays, ...options }));
}

/** The five arrays of a Gemma Scope SAE with d_model `dIn` and d_sae `dSae`, as float32. */
export function gemmaScopeArrays(dIn: number, dSae: number): Record<string, ArraySpec> {
  return {
    W_enc: { shape: [dIn, dSae] },
    W_dec: { shape: [dSae, dIn] },
    b_enc: { shape: [dSae] },
    b_dec: { shape: [dIn] },
    threshold: { shape: [dSae] },
  };
}

/** Bytes as lowercase hex, to compare with {@link Written.arrays}. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `length` bytes of `path` at `offset`. */
export async function bytesAt(path: string, offset: number, length: number): Promise<Uint8Array> {
  using file = await Deno.open(path);
  await file.seek(offset, Deno.SeekMode.Start);
  const out = new Uint8Array(length);
  for (let filled = 0; filled < length;) {
    const n = await file.read(out.subarray(filled));
    if (n === null) throw new Error(`${path} ended at ${offset + filled}`);
    filled += n;
  }
  return out;
}
