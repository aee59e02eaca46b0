/**
 * An independent safetensors writer and reader in Python's standard library (struct + json), which shares no code
 * with ours: float16 comes from struct's "e" format, bfloat16 is the upper half of struct's float32.
 */
import { python } from "../../helpers.ts";

/** One tensor for the Python writer; values as strings so that "inf", "nan" and "-0" survive JSON. */
export interface PyTensor {
  name: string;
  dtype: "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8" | "BOOL" | "F8_E4M3";
  shape: number[];
  values: (number | string)[];
}

/** What the Python writer reports per tensor: absolute byte range, raw bytes, and float32 bits of each value. */
export interface PyWritten {
  begin: number;
  end: number;
  hex: string;
  f32bits: number[];
}

const WRITE = String.raw`
import json, struct, sys
spec = json.loads(sys.argv[1])
FMT = {"F64": "<d", "F32": "<f", "F16": "<e", "I64": "<q", "I32": "<i", "U8": "<B", "BOOL": "<?", "F8_E4M3": "<B"}
def f32bits(x):
    try:
        return struct.unpack("<I", struct.pack("<f", x))[0]
    except OverflowError:  # struct refuses exactly when the C cast (IEEE rounding) gives infinity
        return 0xff800000 if x < 0 else 0x7f800000
header, blobs, report, offset = {}, [], {}, 0
if spec["metadata"] is not None:
    header["__metadata__"] = spec["metadata"]
for name, dtype, shape, values in spec["tensors"]:
    data, bits = b"", []
    for text in values:
        if dtype == "BF16":
            packed = struct.pack("<f", float(text))[2:]  # upper 16 bits, little-endian
            bits.append(f32bits(struct.unpack("<f", b"\0\0" + packed)[0]))
        elif dtype in ("I64", "I32", "U8", "F8_E4M3"):
            packed = struct.pack(FMT[dtype], int(text))
            bits.append(f32bits(float(int(text))))
        elif dtype == "BOOL":
            packed = struct.pack("<?", text == "1")
            bits.append(f32bits(1.0 if text == "1" else 0.0))
        else:
            packed = struct.pack(FMT[dtype], float(text))
            bits.append(f32bits(struct.unpack(FMT[dtype], packed)[0]))
        data += packed
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    report[name] = {"begin": offset, "end": offset + len(data), "hex": data.hex(), "f32bits": bits}
    offset += len(data)
text = json.dumps(header).encode()
if spec["pad"]:
    text += b" " * (-len(text) % 8)
with open(spec["path"], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
for entry in report.values():
    entry["begin"] += 8 + len(text)
    entry["end"] += 8 + len(text)
print(json.dumps(report))
`;

/** Writes a safetensors file with Python, tensors in the given order, header padded only when `pad`. */
export function pythonWriteSafetensors(
  path: string,
  tensors: PyTensor[],
  { metadata = null, pad = false }: { metadata?: Record<string, string> | null; pad?: boolean } = {},
): Promise<Record<string, PyWritten>> {
  const spec = {
    path,
    metadata,
    pad,
    tensors: tensors.map((t) => [t.name, t.dtype, t.shape, t.values.map(numberText)]),
  };
  return python(WRITE, JSON.stringify(spec));
}

/**
 * What the Python reader finds in a file. `elements` are raw element bit patterns (floats as unsigned ints; 8-byte
 * ones as decimal strings).
 */
export interface PyRead {
  headerLength: number;
  headerText: string;
  keys: string[];
  metadata: Record<string, string> | null;
  tensors: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number]; elements: (number | string)[] }
  >;
  /** float32 bits of each F16/BF16/F32 element, decoded by Python. */
  f32bits: Record<string, number[]>;
  dataLength: number;
}

const READ = String.raw`
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
text = blob[8:8 + n].decode("utf-8")
header = json.loads(text)
data = blob[8 + n:]
RAW = {"F64": "<Q", "F32": "<I", "F16": "<H", "BF16": "<H", "I64": "<q", "I32": "<i", "U8": "<B", "I8": "<b",
       "I16": "<h", "U16": "<H", "U32": "<I", "U64": "<Q", "BOOL": "<B"}
def f32bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]
tensors, decoded = {}, {}
for name, entry in header.items():
    if name == "__metadata__":
        continue
    begin, end = entry["data_offsets"]
    fmt = RAW[entry["dtype"]]
    size = struct.calcsize(fmt)
    chunk = data[begin:end]
    elements = [struct.unpack(fmt, chunk[i:i + size])[0] for i in range(0, len(chunk), size)]
    entry["elements"] = [str(e) for e in elements] if size == 8 else elements  # JSON numbers stop at 2^53
    tensors[name] = entry
    if entry["dtype"] == "F32":
        decoded[name] = entry["elements"]
    elif entry["dtype"] == "F16":
        decoded[name] = [f32bits(struct.unpack("<e", chunk[i:i + 2])[0]) for i in range(0, len(chunk), 2)]
    elif entry["dtype"] == "BF16":
        decoded[name] = [struct.unpack("<I", b"\0\0" + chunk[i:i + 2])[0] for i in range(0, len(chunk), 2)]
print(json.dumps({"headerLength": n, "headerText": text, "keys": list(header), "metadata": header.get("__metadata__"),
                  "tensors": tensors, "f32bits": decoded, "dataLength": len(data)}))
`;

/** Parses a safetensors file with Python. */
export function pythonReadSafetensors(path: string): Promise<PyRead> {
  return python(READ, path);
}

function numberText(value: number | string): string {
  return typeof value === "string" ? value : Object.is(value, -0) ? "-0" : String(value);
}

/** float32 bit patterns of a Float32Array. */
export function bitsOf(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}
