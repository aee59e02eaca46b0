/**
 * Reading small JSON files that may be absent (configs, indexes, manifests, download records): absent is a normal
 * answer, malformed is a DataError naming the file and what it should have been.
 * @module
 */
import { DataError } from "@saeflow/core";

/**
 * Parses the JSON object in the file at `path`; undefined when there is no such file. Anything else than an object
 * (an array, `null`, a number) is a DataError, like malformed JSON.
 *
 * @example
 * ```ts
 * const config = await readJsonFile("model/config.json", "a Hugging Face config.json");
 * ```
 */
export async function readJsonFile<T = Record<string, unknown>>(
  path: string,
  expected: string,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(path, {}, `not valid JSON (${(error as Error).message})`, expected, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(
      path,
      {},
      `holds ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}, not a JSON object`,
      expected,
    );
  }
  return value as T;
}

/** File information, or undefined when nothing is at `path`. */
export async function statIfExists(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
