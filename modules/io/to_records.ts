/**
 * Rows → typed records: `TextRecord`s from a text column, `ImageRecord`s from a column of image paths.
 * @module
 */
import type { ImageRecord, TextRecord } from "@saeflow/core";
import { DataError } from "@saeflow/core";
import type { RawRow } from "./raw_row.ts";
import { RecordFields, type RecordMappingOptions } from "./record_fields.ts";
import type { RowSource } from "./row_source.ts";

/**
 * Maps rows to `TextRecord`s. The text column is required; every problem goes through the bad-record policy.
 *
 * @example
 * ```ts
 * const records = source.rows.pipeThrough(new RowsToTextRecords(source, "train.csv", { fields: { text: "prompt", label: "type" }, bad, ids }));
 * ```
 */
export class RowsToTextRecords extends TransformStream<RawRow, TextRecord> {
  constructor(source: RowSource, sourceName: string, options: RecordMappingOptions) {
    const textColumn = options.fields.text;
    if (textColumn === undefined) throw new TypeError("RowsToTextRecords needs fields.text");
    const common = new RecordFields(source, options, textColumn);
    super({
      transform(row, controller) {
        const fields = common.map(row);
        if (fields) controller.enqueue({ ...withoutUndefined(fields), text: String(row.fields[textColumn]) });
      },
      flush: () => common.checkNotEmpty(sourceName),
    });
  }
}

const IMAGE_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  bmp: "image/bmp",
};

/**
 * Maps index rows (e.g. `file,label` in a labels CSV) to `ImageRecord`s, reading each image file relative to
 * `baseDir`. A missing file or an extension that is not an image goes through the bad-record policy.
 *
 * @example
 * ```ts
 * const images = source.rows.pipeThrough(new RowsToImageRecords(source, "labels.csv", "cifar10-test-subset", { fields: { image: "file", label: "label" }, bad, ids }));
 * ```
 */
export class RowsToImageRecords extends TransformStream<RawRow, ImageRecord> {
  constructor(source: RowSource, sourceName: string, baseDir: string, options: RecordMappingOptions) {
    const imageColumn = options.fields.image;
    if (imageColumn === undefined) throw new TypeError("RowsToImageRecords needs fields.image");
    const common = new RecordFields(source, options, imageColumn);
    super({
      async transform(row, controller) {
        const relative = row.fields[imageColumn];
        const found = typeof relative === "string" && relative.trim()
          ? await readImage(row, baseDir, relative, imageColumn)
          : undefined;
        const fields = common.map(found && "error" in found ? { ...row, problem: found } : row);
        if (fields && found && "image" in found) {
          const { image, mimeType } = found;
          controller.enqueue({
            ...withoutUndefined(fields),
            image,
            mimeType,
            meta: { ...fields.meta, path: relative },
          });
        }
      },
      flush: () => common.checkNotEmpty(sourceName),
    });
  }
}

type ImageRead = { image: Uint8Array; mimeType: string } | { error: DataError; kind: string };

async function readImage(row: RawRow, baseDir: string, relative: string, column: string): Promise<ImageRead> {
  const mimeType = IMAGE_TYPES[relative.split(".").pop()!.toLowerCase()];
  const where = { line: row.line, row: row.row + 1, column };
  if (!mimeType) {
    const error = new DataError(
      row.source,
      where,
      `${JSON.stringify(relative)} is not an image file name`,
      `one of the extensions ${Object.keys(IMAGE_TYPES).join(", ")}`,
    );
    return { error, kind: "not an image" };
  }
  const path = `${baseDir}/${relative}`;
  try {
    return { image: await Deno.readFile(path), mimeType };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return {
      error: new DataError(row.source, where, `image ${path} does not exist`, "a path relative to the index file"),
      kind: "missing image",
    };
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
