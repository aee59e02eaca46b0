/**
 * The record types that flow between saeflow stages. Every stage speaks these, so they live in one place.
 * @module
 */

/** One labeled (or unlabeled) text example, as a dataset source yields it. */
export interface TextRecord {
  /** Stable identifier: from the dataset's id column, or `<source>:<row>` (row = 0-based ordinal in that source). */
  id: string;
  text: string;
  /** Class name after the label map was applied (raw value as a string when no map was given). */
  label?: string;
  /** Dataset split the record came from (`train`, `validation`, `test`, ...), when the source says. */
  split?: string;
  /** Anything else worth carrying along (source file, language, extra columns the user asked for). */
  meta?: Record<string, unknown>;
}

/** One labeled image, with its encoded bytes (JPEG/PNG); decoding belongs to the vision stage. */
export interface ImageRecord {
  id: string;
  /** The encoded file bytes, exactly as stored. */
  image: Uint8Array;
  /** IANA media type guessed from the file name (`image/jpeg`, `image/png`, ...). */
  mimeType: string;
  label?: string;
  split?: string;
  meta?: Record<string, unknown>;
}
