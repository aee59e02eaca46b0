/**
 * Test helper: rewrites a serialized ONNX model field by field, the way exporters differ from our GraphBuilder —
 * other node names (Optimum's `/model/layers.0/Add`, or meaningless ones), or weights moved to an external data file.
 */
import { type ProtoField, ProtoWriter, readFields } from "../../../modules/forward/onnx/proto_wire.ts";

const utf8 = new TextDecoder();

export interface Rewrite {
  /** New name for a node, given its current name and op. */
  nodeName?: (name: string, opType: string) => string;
  /**
   * Moves float initializers of at least 32 bytes into a data file of this name (relative to the model's folder).
   * Small tensors stay inline as exporters keep them (onnx's threshold is 1 KB): ONNX Runtime's shape inference
   * cannot read a Reshape's shape from external data, even when loading from a path.
   */
  externalData?: string;
}

/** Copies one field as it is. */
function copy(w: ProtoWriter, f: ProtoField): void {
  if (f.wireType === 0) w.intField(f.field, f.value);
  else if (f.wireType === 2) w.bytesField(f.field, f.value);
  else throw new Error(`fixed-width field ${f.field} at a level the rewrite copies`);
}

/** The rewritten model, and the external data file's bytes when `externalData` is set. */
export function rewriteModel(model: Uint8Array, edit: Rewrite): { model: Uint8Array; data: Uint8Array } {
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let dataLength = 0;
  const out = new ProtoWriter();
  for (const f of readFields(model)) {
    if (f.field !== 7 || f.wireType !== 2) {
      copy(out, f);
      continue;
    }
    out.messageField(7, (graph) => {
      for (const g of readFields(f.value)) {
        if (g.field === 1 && g.wireType === 2 && edit.nodeName) {
          let opType = "";
          for (const n of readFields(g.value)) if (n.field === 4 && n.wireType === 2) opType = utf8.decode(n.value);
          graph.messageField(1, (node) => {
            for (const n of readFields(g.value)) {
              if (n.field === 3 && n.wireType === 2) node.stringField(3, edit.nodeName!(utf8.decode(n.value), opType));
              else copy(node, n);
            }
          });
        } else if (g.field === 5 && g.wireType === 2 && edit.externalData) {
          let float = false;
          for (const t of readFields(g.value)) if (t.field === 2 && t.wireType === 0) float = t.value === 1n;
          graph.messageField(5, (tensor) => {
            for (const t of readFields(g.value)) {
              if (t.field !== 9 || t.wireType !== 2 || !float || t.value.length < 32) {
                copy(tensor, t);
                continue;
              }
              // Aligned like onnx's own external-data writer, so ORT may map the file.
              const offset = Math.ceil(dataLength / 4096) * 4096;
              dataLength = offset + t.value.length;
              tensor.messageField(13, (kv) => kv.stringField(1, "location").stringField(2, edit.externalData!));
              tensor.messageField(13, (kv) => kv.stringField(1, "offset").stringField(2, String(offset)));
              tensor.messageField(13, (kv) => kv.stringField(1, "length").stringField(2, String(t.value.length)));
              tensor.intField(14, 1);
              chunks.push({ offset, bytes: t.value });
            }
          });
        } else copy(graph, g);
      }
    });
  }
  const data = new Uint8Array(dataLength);
  for (const c of chunks) data.set(c.bytes, c.offset);
  return { model: out.finish(), data };
}
