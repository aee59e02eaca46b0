/** The code stays formatted, lint-clean and type-correct everywhere (bench scripts and pipelines included). */
import assert from "node:assert/strict";

async function deno(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("deno fmt --check finds nothing to reformat", async () => {
  const { code, output } = await deno("fmt", "--check");
  assert.equal(code, 0, output);
});

Deno.test("deno lint finds no problem", async () => {
  const { code, output } = await deno("lint");
  assert.equal(code, 0, output);
});

Deno.test("deno check passes for modules, pipelines, bench and tests", async () => {
  const { code, output } = await deno("check", "modules/", "pipelines/", "bench/", "tests/");
  assert.equal(code, 0, output);
});
