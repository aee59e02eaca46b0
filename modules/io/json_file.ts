/**
 * Reading small JSON files that may be absent (configs, indexes, manifests, download records): absent is a normal
 * answer, malformed is a DataError naming the file and what it should have been.
 * @module
 */
import { DataError } from "@saeflow/core";

/**
 * Parses the JSON file at `path`; undefined when there is no such file.
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
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(path, {}, `not valid JSON (${(error as Error).message})`, expected, { cause: error });
  }
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
