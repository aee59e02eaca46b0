/** The training log of a resumable run: JSON lines, one per logged step, and its progress bar. */
import { type ProgressMode, ProgressReporter } from "@saeflow/core";

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

/** What {@link StepLog} needs: where the log goes, how often, and the progress bar's settings. */
export interface StepLogOptions {
  path: string;
  /** Log every this many steps (and the last step, and any step the caller asks for). */
  every: number;
  totalSteps: number;
  label: string;
  mode: ProgressMode;
}

/**
 * The step log and progress bar of a resumable training loop. The first step it sees opens the log with
 * {@link openLogFrom} (a resumed run keeps the lines up to its checkpoint) and starts the bar where the checkpoint was.
 *
 * @example
 * ```ts
 * const log = new StepLog({ path: "out/train_log.jsonl", every: 10, totalSteps: 1000, label: "train", mode: "auto" });
 * try {
 *   await train({ onStep: (m) => log.step(m.step, rows) && log.write(m) });
 * } finally {
 *   log.close();
 * }
 * log.finish();
 * ```
 */
export class StepLog {
  readonly #options: StepLogOptions;
  readonly #progress: ProgressReporter;
  #file?: Deno.FsFile;

  constructor(options: StepLogOptions) {
    this.#options = options;
    this.#progress = new ProgressReporter({
      label: options.label,
      mode: options.mode,
      total: options.totalSteps,
      unit: { plural: "steps", rate: "steps/s" },
    });
  }

  /** Counts step `step` and its `work` (tokens or rows); whether it is to be logged (every n, the last, or `also`). */
  step(step: number, work: number, also = false): boolean {
    if (!this.#file) {
      this.#file = openLogFrom(this.#options.path, step - 1);
      this.#progress.add(step - 1); // resumed: the bar starts where the checkpoint was
    }
    this.#progress.add(1, work);
    return step % this.#options.every === 0 || step === this.#options.totalSteps || also;
  }

  /** Appends one JSON line (after the first {@link step}). */
  write(line: Record<string, unknown>): void {
    this.#file!.writeSync(new TextEncoder().encode(JSON.stringify(line) + "\n"));
  }

  /** After the loop, whatever its outcome: the bar stops (the cursor comes back) and the log closes. */
  close(): void {
    this.#progress.stop();
    this.#file?.close();
  }

  /** After a loop that ended normally: the bar's final line. */
  finish(): void {
    this.#progress.finish();
  }
}
