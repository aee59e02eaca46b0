/**
 * JSON Lines: one JSON object per line; blank lines are ignored.
 * @module
 */
import { openFileBytes } from "../file_bytes.ts";
import { parseJsonObject } from "./json_object.ts";
import { LineStream } from "../lines.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";
import { Utf8CheckStream } from "../utf8_check.ts";

/**
 * Streams the objects of a JSONL file (gzip too). A line that is not valid JSON, or not an object, comes through as a
 * row with a `problem` naming the file and line, for the record mapper to fail on or skip.
 *
 * @example
 * ```ts
 * const { rows } = await readJsonl("records.jsonl");
 * ```
 */
export async function readJsonl(path: string): Promise<RowSource> {
  const check = new Utf8CheckStream({ source: path });
  let row = 0;
  const rows = (await openFileBytes(path))
    .pipeThrough(check)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineStream())
    .pipeThrough(
      new TransformStream<{ text: string; line: number }, RawRow>({
        transform({ text, line }, controller) {
          if (text.trim() === "") return;
          const index = row++;
          controller.enqueue({
            ...parseJsonObject(text, path, line, "line"),
            source: path,
            row: index,
            line,
            endLine: line,
          });
        },
      }),
    );
  return { rows, hasSchema: false, invalidUtf8: check.invalid };
}
