/**
 * What to do with a bad record: fail with a clear error (default), or skip it and count why (`--skip-bad`).
 * @module
 */
import type { DataError } from "@saeflow/core";

/** `error`: the first bad record fails the run. `skip`: bad records are dropped and counted. */
export type BadRecordMode = "error" | "skip";

/**
 * Applies the bad-record policy and keeps the tally a run reports at the end.
 *
 * @example
 * ```ts
 * const bad = new BadRecords("skip");
 * bad.handle(new DataError("a.csv", { line: 3 }, "missing text"), "missing text");
 * bad.summary(); // "skipped 1 bad record: 1 missing text (first: a.csv:3: missing text)"
 * ```
 */
export class BadRecords {
  readonly counts: Map<string, number> = new Map();
  /** The first few skipped records' errors, for the report. */
  readonly examples: string[] = [];
  total = 0;

  constructor(readonly mode: BadRecordMode = "error", readonly maxExamples = 10) {}

  /** Throws `error` in `error` mode; otherwise counts it under `kind` and returns. */
  handle(error: DataError, kind: string): void {
    if (this.mode === "error") throw error;
    this.total++;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (this.examples.length < this.maxExamples) this.examples.push(error.message);
  }

  /** One line for logs; empty when nothing was skipped. */
  summary(): string {
    if (this.total === 0) return "";
    const kinds = [...this.counts].map(([kind, n]) => `${n} ${kind}`).join(", ");
    return `skipped ${this.total} bad record${this.total === 1 ? "" : "s"}: ${kinds} (first: ${this.examples[0]})`;
  }

  toJSON(): { total: number; byKind: Record<string, number>; examples: string[] } {
    return { total: this.total, byKind: Object.fromEntries(this.counts), examples: this.examples };
  }
}
