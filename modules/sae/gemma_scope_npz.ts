/**
 * A Gemma Scope `params.npz` as an {@link SaeSpec}: the two big matrices are described where they lie in the file
 * (an uncompressed zip member is a plain byte range) and never read; the three vectors are read into memory.
 * @module
 */
import { basename, resolve } from "node:path";
import { DataError } from "@saeflow/core";
import type { StoredTensor } from "@saeflow/forward";
import type { SaeSpec, SaeTensor } from "./sae_spec.ts";
import { NPY_PREAMBLE_BYTES, type NpyHeader, npyHeaderLength, parseNpyHeader } from "./npy.ts";
import { compressionName, openFile, readAt, readZipDirectoryOf, type ZipEntry } from "./zip_directory.ts";

/** The arrays of a Gemma Scope `params.npz`, in the order errors list them. */
export const GEMMA_SCOPE_ARRAYS = ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const;

/** What the file itself does not say: names for the spec, and the dimensions it must have when known. */
export interface GemmaScopeMeta {
  /** Default: the path. */
  id?: string;
  hookName?: string;
  modelId?: string;
  neuronpediaId?: string;
  /** d_model the file must have (the registry knows it). */
  dIn?: number;
  /** d_sae the file must have. */
  dSae?: number;
}

const FORMAT = "a Gemma Scope params.npz (np.savez of W_enc, W_dec, b_enc, b_dec, threshold as float32)";

/**
 * Loads a Gemma Scope `params.npz` (`W_enc [d_model, d_sae]`, `W_dec [d_sae, d_model]`, `b_enc`, `b_dec`,
 * `threshold`, float32, stored uncompressed) as a JumpReLU {@link SaeSpec}: `W_enc` and `W_dec` as
 * {@link StoredTensor}s at their byte ranges in the file, `b_enc`, `b_dec` and `threshold` read as Float32Arrays.
 * No `b_dec` subtraction and no input normalization, as Gemma Scope encodes. Reads the zip directory, the five
 * `.npy` headers and the three vectors: memory stays flat whatever the file's size (a 1M-wide SAE is 19 GB).
 * A DataError names the file for a missing array, a compressed member, a dtype other than `<f4`, Fortran order,
 * inconsistent shapes or dimensions other than `meta`'s.
 *
 * @example
 * ```ts
 * const sae = await loadGemmaScopeNpz("layer_12/width_16k/average_l0_82/params.npz", { hookName: "blocks.12.hook_resid_post" });
 * sae.dIn; // 2304
 * sae.weights.W_enc; // { shape: [2304, 16384], stored: { file, offset, length: 150994944, dtype: "F32" } }
 * ```
 */
export async function loadGemmaScopeNpz(path: string, meta: GemmaScopeMeta = {}): Promise<SaeSpec> {
  using file = await openFile(path, FORMAT);
  const zip = await readZipDirectoryOf(file, path);
  const archive = basename(path);
  const members = new Map(zip.entries.map((entry) => [entry.name, entry]));
  const missing = GEMMA_SCOPE_ARRAYS.filter((name) => !members.has(`${name}.npy`));
  if (missing.length > 0) {
    throw new DataError(
      path,
      {},
      `${archive} has no ${missing.map((name) => `${name}.npy`).join(", ")}`,
      GEMMA_SCOPE_ARRAYS.join(", "),
    );
  }
  const arrays = {} as Record<typeof GEMMA_SCOPE_ARRAYS[number], { entry: ZipEntry; header: NpyHeader }>;
  for (const name of GEMMA_SCOPE_ARRAYS) {
    const entry = members.get(`${name}.npy`)!;
    const what = `${archive} member ${name}.npy`;
    if (entry.method !== 0) {
      throw new DataError(
        path,
        {},
        `${what} is ${compressionName(entry.method)}-compressed`,
        "stored (np.savez, as Gemma Scope ships)",
      );
    }
    arrays[name] = { entry, header: await readHeader(file, path, entry, what) };
  }

  const shapeOf = (name: typeof GEMMA_SCOPE_ARRAYS[number]) => arrays[name].header.shape;
  const encoder = shapeOf("W_enc");
  if (encoder.length !== 2 || encoder[0] === 0 || encoder[1] === 0) {
    throw new DataError(
      path,
      {},
      `${archive} member W_enc.npy has shape ${fmt(encoder)}`,
      "[d_model, d_sae], both > 0",
    );
  }
  const [dIn, dSae] = encoder;
  if ((meta.dIn !== undefined && meta.dIn !== dIn) || (meta.dSae !== undefined && meta.dSae !== dSae)) {
    throw new DataError(
      path,
      {},
      `${archive} member W_enc.npy has shape ${fmt(encoder)}, not the d_model ${meta.dIn ?? dIn} × d_sae ${
        meta.dSae ?? dSae
      } of ${meta.id ?? "the SAE asked for"}`,
      fmt([meta.dIn ?? dIn, meta.dSae ?? dSae]),
    );
  }
  const expected = { W_dec: [dSae, dIn], b_enc: [dSae], b_dec: [dIn], threshold: [dSae] };
  for (const [name, shape] of Object.entries(expected) as [keyof typeof expected, number[]][]) {
    const actual = shapeOf(name);
    if (actual.length !== shape.length || actual.some((dim, i) => dim !== shape[i])) {
      throw new DataError(
        path,
        {},
        `${archive} member ${name}.npy has shape ${fmt(actual)}, which does not fit W_enc.npy ${fmt(encoder)}`,
        `${fmt(shape)} (d_model ${dIn}, d_sae ${dSae})`,
      );
    }
  }

  const absolute = resolve(path);
  const stored = (name: "W_enc" | "W_dec"): SaeTensor => {
    const { entry, header } = arrays[name];
    const tensor: StoredTensor = {
      file: absolute,
      offset: entry.dataOffset + header.dataOffset,
      length: header.byteLength,
      dtype: "F32",
    };
    return { shape: header.shape, stored: tensor };
  };
  const vector = async (name: "b_enc" | "b_dec" | "threshold"): Promise<SaeTensor> => {
    const { entry, header } = arrays[name];
    const what = `${archive} member ${name}.npy`;
    const bytes = await readAt(file, path, entry.dataOffset + header.dataOffset, header.byteLength, what);
    return { shape: header.shape, data: new Float32Array(bytes.buffer) };
  };
  const optional = Object.fromEntries(
    Object.entries({ hookName: meta.hookName, modelId: meta.modelId, neuronpediaId: meta.neuronpediaId })
      .filter(([, value]) => value !== undefined),
  );
  return {
    id: meta.id ?? path,
    source: path,
    architecture: "jumprelu",
    dIn,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    ...optional,
    weights: {
      W_enc: stored("W_enc"),
      b_enc: await vector("b_enc"),
      threshold: await vector("threshold"),
      b_dec: await vector("b_dec"),
      W_dec: stored("W_dec"),
    },
  };
}

/** Reads and checks one member's `.npy` header: float32, and exactly as many data bytes as the member holds. */
async function readHeader(file: Deno.FsFile, path: string, entry: ZipEntry, what: string): Promise<NpyHeader> {
  const prefix = await readAt(file, path, entry.dataOffset, Math.min(NPY_PREAMBLE_BYTES, entry.uncompressedSize), what);
  const length = npyHeaderLength(prefix, path, what);
  if (length > entry.uncompressedSize) {
    throw new DataError(
      path,
      {},
      `${what} has a ${length}-byte .npy header but holds only ${entry.uncompressedSize} bytes`,
      FORMAT,
    );
  }
  const header = parseNpyHeader(await readAt(file, path, entry.dataOffset, length, what), path, what);
  if (header.dtype !== "F32") {
    throw new DataError(path, {}, `${what} has dtype '${header.descr}'`, "float32 '<f4', as Gemma Scope ships");
  }
  if (header.dataOffset + header.byteLength !== entry.uncompressedSize) {
    throw new DataError(
      path,
      {},
      `${what} holds ${
        entry.uncompressedSize - header.dataOffset
      } data bytes but its header describes ${header.byteLength} (shape ${fmt(header.shape)}, float32)`,
      FORMAT,
    );
  }
  return header;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
