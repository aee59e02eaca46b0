/**
 * `deno task report`: the HTML report of any finished extract run. It reuses the probe results beside the shards
 * (`<in>/probe/results.json`) when they exist, and runs the default probes (logistic and tree, with the transfer
 * matrix when asked) when they do not.
 * @module
 */
import { type ProgressMode } from "@saeflow/core";
import { readJsonFile, writeFileAtomic } from "@saeflow/io";
import { printTable, probe, type ProbeRun, reportData, RESULTS_FILE } from "./probe.ts";
import { runTask, type TaskDefinition } from "./lib/cli.ts";
import { addProgressOption, oneOf } from "./lib/parse.ts";
import { renderReport } from "./lib/report/render_report.ts";

interface ReportOptions {
  in: string;
  out?: string;
  title: string;
  transferBy?: "id-prefix";
  progress: ProgressMode;
}

/** Writes the report and returns its path. */
export async function report(options: ReportOptions): Promise<string> {
  const results = `${options.in}/probe/${RESULTS_FILE}`;
  const run = await readJsonFile<ProbeRun>(results, "the results of deno task probe") ??
    await probe({
      in: options.in,
      probes: ["logistic", "tree"],
      seed: 42,
      bootstrap: 1000,
      transferBy: options.transferBy,
      progress: options.progress,
    });
  printTable(run.results);
  const out = options.out ?? `${options.in}/probe/report.html`;
  await writeFileAtomic(out, [new TextEncoder().encode(renderReport(reportData(run, options.title)))]);
  return out;
}

export const reportTask: TaskDefinition<ReportOptions> = {
  name: "report",
  summary: "Build the HTML report of a finished extract run (probing it first when it has no probe results)",
  options: (command) =>
    addProgressOption(
      command
        .requiredOption("--in <dir>", "a finished deno task extract output directory")
        .option("--out <file>", "the report file (default <in>/probe/report.html)")
        .option("--title <text>", "the report's title", "saeflow probe report")
        .option(
          "--transfer-by <what>",
          "when probing: transfer across id-prefix domains",
          oneOf("--transfer-by", ["id-prefix"]),
        ),
    ),
  presentational: ["out", "progress", "title"],
  async run(options) {
    console.log(`\nreport: ${await report(options)}`);
  },
};

if (import.meta.main) await runTask(reportTask);
