/**
 * Progress reporting for long streams: a live bar (records/s, tokens/s, ETA) on a terminal, one plain line every
 * few seconds in logs and CI, or nothing.
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";

/** How progress is shown. `auto` picks `bar` when stderr is a terminal and `lines` otherwise. */
export type ProgressMode = "auto" | "bar" | "lines" | "quiet";

/** Options for {@link ProgressReporter}. */
export interface ProgressOptions {
  /** What is being counted, shown first on every line (e.g. `ingest jailbreak`). */
  label: string;
  /** Records expected in total, when known: enables percentage and ETA. */
  total?: number;
  /** What the counted things are called on screen (default `records`, rates `rec/s`); a trainer counts `steps`. */
  unit?: { plural: string; rate: string };
  mode?: ProgressMode;
  /** Lines mode: milliseconds between lines (default 5000). */
  intervalMs?: number;
  /** Lines mode: where lines go (default: stderr). */
  write?: (line: string) => void;
  /** Clock in milliseconds (default `performance.now`); tests pass a fake one. */
  now?: () => number;
}

/** Counters and rates at one moment. */
export interface ProgressSnapshot {
  records: number;
  tokens: number;
  elapsedMs: number;
  recordsPerSecond: number;
  tokensPerSecond: number;
  /** Milliseconds left at the current rate, when the total is known. */
  etaMs?: number;
}

/**
 * Counts records and tokens and shows rates.
 *
 * @example
 * ```ts
 * const progress = new ProgressReporter({ label: "ingest", mode: "lines", write: console.error });
 * progress.add(100, 2_500); // 100 records, 2,500 tokens
 * progress.finish();        // "ingest: done, 100 records, 2,500 tokens in 0.0s (…/s)"
 * ```
 */
export class ProgressReporter {
  readonly mode: Exclude<ProgressMode, "auto">;
  #records = 0;
  #tokens = 0;
  #lastLine: number;
  readonly #start: number;
  readonly #bar?: cliProgress.SingleBar;
  readonly #options: Required<Omit<ProgressOptions, "total">> & { total?: number };

  get #unit(): { plural: string; rate: string } {
    return this.#options.unit;
  }

  constructor(options: ProgressOptions) {
    this.#options = {
      mode: "auto",
      intervalMs: 5000,
      write: (line) => process.stderr.write(`${line}\n`),
      now: () => performance.now(),
      unit: { plural: "records", rate: "rec/s" },
      ...options,
    };
    this.mode = this.#options.mode === "auto" ? (process.stderr.isTTY ? "bar" : "lines") : this.#options.mode;
    this.#start = this.#lastLine = this.#options.now();
    if (this.mode === "bar") {
      const known = this.#options.total !== undefined;
      this.#bar = new cliProgress.SingleBar({
        format: `${this.#options.label} ${known ? "|{bar}| {percentage}% " : ""}{value}${known ? "/{total}" : ""}` +
          ` ${this.#unit.plural} | {rps} ${this.#unit.rate} | {tps} tok/s${known ? " | ETA {eta_formatted}" : ""}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      }, cliProgress.Presets.shades_classic);
      this.#bar.start(this.#options.total ?? 0, 0, { rps: "0", tps: "0" });
    }
  }

  /** Adds finished work. */
  add(records: number, tokens = 0): void {
    this.#records += records;
    this.#tokens += tokens;
    const snapshot = this.snapshot();
    if (this.#bar) {
      this.#bar.update(this.#records, { rps: rate(snapshot.recordsPerSecond), tps: rate(snapshot.tokensPerSecond) });
    } else if (this.mode === "lines" && this.#options.now() - this.#lastLine >= this.#options.intervalMs) {
      this.#lastLine = this.#options.now();
      this.#options.write(this.#line(snapshot));
    }
  }

  /** Current counters and rates. */
  snapshot(): ProgressSnapshot {
    const elapsedMs = this.#options.now() - this.#start;
    const seconds = Math.max(elapsedMs, 1e-9) / 1000;
    const recordsPerSecond = this.#records / seconds;
    const total = this.#options.total;
    return {
      records: this.#records,
      tokens: this.#tokens,
      elapsedMs,
      recordsPerSecond,
      tokensPerSecond: this.#tokens / seconds,
      etaMs: total !== undefined && recordsPerSecond > 0
        ? Math.max(0, (total - this.#records) / recordsPerSecond) * 1000
        : undefined,
    };
  }

  /** Stops the bar and gives the terminal its cursor back; safe to call more than once, and on failure. */
  stop(): void {
    this.#bar?.stop();
  }

  /** Stops the bar and prints a summary line (except in quiet mode). Returns the final snapshot. */
  finish(): ProgressSnapshot {
    const snapshot = this.snapshot();
    this.stop();
    if (this.mode !== "quiet") {
      this.#options.write(
        `${this.#options.label}: done, ${count(snapshot.records)} ${this.#unit.plural}` +
          `${snapshot.tokens ? `, ${count(snapshot.tokens)} tokens` : ""} in ${
            (snapshot.elapsedMs / 1000).toFixed(1)
          }s` +
          ` (${rate(snapshot.recordsPerSecond)} ${this.#unit.rate}${
            snapshot.tokens ? `, ${rate(snapshot.tokensPerSecond)} tok/s` : ""
          })`,
      );
    }
    return snapshot;
  }

  #line(s: ProgressSnapshot): string {
    const total = this.#options.total;
    const share = total ? ` (${((100 * s.records) / total).toFixed(1)}%)` : "";
    const eta = s.etaMs !== undefined ? `, ETA ${formatDuration(s.etaMs)}` : "";
    const tokens = s.tokens ? `, ${rate(s.tokensPerSecond)} tok/s` : "";
    return `${this.#options.label}: ${count(s.records)} ${this.#unit.plural}${share}, ${
      rate(s.recordsPerSecond)
    } ${this.#unit.rate}${tokens}${eta}`;
  }
}

/**
 * Pass-through stream that reports what flows through it to a {@link ProgressReporter}.
 *
 * @example
 * ```ts
 * const progress = new ProgressReporter({ label: "batches", mode: "quiet" });
 * await Array.fromAsync(ReadableStream.from([[1, 2], [3]]).pipeThrough(
 *   new ProgressStream(progress, (batch: number[]) => ({ records: batch.length }))));
 * progress.snapshot().records; // 3
 * ```
 */
export class ProgressStream<T> extends TransformStream<T, T> {
  constructor(
    reporter: ProgressReporter,
    measure: (chunk: T) => { records: number; tokens?: number } = () => ({ records: 1 }),
  ) {
    super({
      transform(chunk, controller) {
        const { records, tokens } = measure(chunk);
        reporter.add(records, tokens);
        controller.enqueue(chunk);
      },
    });
  }
}

const count = (n: number) => n.toLocaleString("en-US");
const rate = (perSecond: number) => count(Math.round(perSecond));

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : s >= 60
    ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`;
}
