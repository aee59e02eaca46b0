/** Small measurement helpers shared by the bench scripts. */

/** Median of `runs` timed runs after one warm-up, in milliseconds. */
export async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Writes `bench/results/<name>.json` and `.md`, and prints the Markdown. */
export async function saveResults(name: string, rows: Record<string, string | number>[], note: string): Promise<void> {
  const dir = new URL("./results/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const columns = Object.keys(rows[0]);
  const markdown = [
    `| ${columns.join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${columns.map((c) => r[c]).join(" | ")} |`),
    "",
    note,
  ].join("\n");
  const machine =
    `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`;
  await Deno.writeTextFile(
    `${dir}${name}.json`,
    JSON.stringify({ machine, date: new Date().toISOString(), rows }, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${dir}${name}.md`, `${markdown}\n\nMachine: ${machine}\n`);
  console.log(markdown);
}

export const format = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
