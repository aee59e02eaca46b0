/** One JSON record (a JSONL line, a JSON-array element) parsed into fields, or the problem that stops it. */
import { DataError } from "@saeflow/core";
import type { RawRow } from "../raw_row.ts";

/**
 * Parses `text` as one JSON object. `what` names the record in messages ("line", "array element 3").
 *
 * @example
 * ```ts
 * parseJsonObject('{"text": "hi"}', "a.jsonl", 1, "line"); // { fields: { text: "hi" } }
 * parseJsonObject("[1]", "a.jsonl", 2, "line").problem?.kind; // "not an object"
 * ```
 */
export function parseJsonObject(
  text: string,
  source: string,
  line: number,
  what: string,
): Pick<RawRow, "fields" | "problem"> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const problem = `${what} is not valid JSON (${(error as Error).message})`;
    return {
      fields: {},
      problem: { error: new DataError(source, { line }, problem, "a JSON object"), kind: "invalid JSON" },
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const problem = `${what} holds ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`;
    return {
      fields: {},
      problem: { error: new DataError(source, { line }, problem, "a JSON object"), kind: "not an object" },
    };
  }
  return { fields: value as Record<string, unknown> };
}
