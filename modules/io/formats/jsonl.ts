/**
 * JSON Lines: one JSON object per line; blank lines are ignored.
 * @module
 */
import { DataError } from "@saeflow/core";
import type { BadRecords } from "../bad_records.ts";
import { openFileBytes } from "../file_bytes.ts";
import { LineStream } from "../lines.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";
import { Utf8CheckStream } from "../utf8_check.ts";

/**
 * Streams the objects of a JSONL file (gzip too). A line that is not valid JSON, or not an object, fails with the
 * file and line, or is counted and skipped when `bad.mode` is `skip`.
 *
 * @example
 * ```ts
 * const { rows } = await readJsonl("records.jsonl", new BadRecords());
 * ```
 */
export async function readJsonl(path: string, bad: BadRecords): Promise<RowSource> {
  const check = new Utf8CheckStream({ source: path, onInvalid: bad.mode === "skip" ? "replace" : "error" });
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
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (error) {
            bad.handle(
              new DataError(path, { line }, `invalid JSON (${(error as Error).message})`, "one JSON object per line"),
              "invalid JSON",
            );
            return;
          }
          if (value === null || typeof value !== "object" || Array.isArray(value)) {
            bad.handle(
              new DataError(
                path,
                { line },
                `line holds ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`,
                "a JSON object",
              ),
              "not an object",
            );
            return;
          }
          controller.enqueue({
            fields: value as Record<string, unknown>,
            source: path,
            row: index,
            line,
            endLine: line,
          });
        },
      }),
    );
  return { rows, hasSchema: false, badLines: check.badLines };
}
