/**
 * Parallel line files (TweetEval, XLM-T): one text per line in one file, the label on the same line of another.
 * @module
 */
import { DataError, resourceStream } from "@saeflow/core";
import { openFileBytes } from "../file_bytes.ts";
import { LineStream, type NumberedLine } from "../lines.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";
import { type InvalidByte, Utf8CheckStream } from "../utf8_check.ts";

/**
 * Streams `{ text, label }` rows from a text file and an optional labels file read in lockstep. Files of different
 * lengths fail with both names and the line where one ran out.
 *
 * @example
 * ```ts
 * const { rows } = await readLineFiles("xlm-t-sentiment/english/test_text.txt", "xlm-t-sentiment/english/test_labels.txt");
 * ```
 */
export async function readLineFiles(
  textPath: string,
  labelsPath: string | undefined,
): Promise<RowSource> {
  const invalid = new Map<number, InvalidByte>(); // both files' invalid bytes, by line (a line is a record of both)
  const lines = async (path: string, check: Utf8CheckStream) =>
    (await openFileBytes(path)).pipeThrough(check).pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream())
      .getReader();
  const texts = await lines(textPath, new Utf8CheckStream({ source: textPath, invalid }));
  const labels = labelsPath ? await lines(labelsPath, new Utf8CheckStream({ source: labelsPath, invalid })) : undefined;

  const rows = resourceStream<RawRow>({
    async next(enqueue) {
      const [text, label] = await Promise.all([texts.read(), labels?.read()]);
      if (labels && text.done !== label!.done) {
        const [ended, other] = text.done ? [textPath, labelsPath] : [labelsPath, textPath];
        const at = (text.done ? label!.value : text.value) as NumberedLine;
        throw new DataError(
          ended!,
          { line: at.line },
          `ends before line ${at.line} while ${other} goes on`,
          "the text and labels files to have the same number of lines",
        );
      }
      if (text.done) return false;
      const fields: Record<string, unknown> = { text: text.value.text };
      if (label) fields.label = label.value!.text.trim();
      const { line } = text.value;
      enqueue({ fields, source: textPath, row: line - 1, line, endLine: line });
      return true;
    },
    release: (reason) => Promise.all([texts.cancel(reason), labels?.cancel(reason)]),
  });
  return { rows, hasSchema: true, invalidUtf8: invalid };
}
