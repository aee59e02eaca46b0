/** The training log of a resumable run: JSON lines, one per logged step. */

/**
 * The log at `path` holding only the lines of steps up to `lastStep`, opened for appending: a resumed run keeps the
 * lines up to its checkpoint, not those a stopped run wrote after it (those steps are taken again). A line a kill cut
 * short (it does not parse) goes with the steps after the checkpoint.
 *
 * @example
 * ```ts
 * const log = openLogFrom("out/train_log.jsonl", resumedAt);
 * log.writeSync(new TextEncoder().encode(JSON.stringify({ step: 1, loss: 8.3 }) + "\n"));
 * log.close();
 * ```
 */
export function openLogFrom(path: string, lastStep: number): Deno.FsFile {
  let kept = "";
  try {
    kept = Deno.readTextFileSync(path).split("\n").filter((line) => {
      try {
        return line !== "" && JSON.parse(line).step <= lastStep;
      } catch {
        return false;
      }
    }).map((line) => line + "\n").join("");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  Deno.writeTextFileSync(path, kept);
  return Deno.openSync(path, { append: true });
}
