import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveHubOptions } from "../../../modules/io/hub/hub_options.ts";
import { tempDir } from "../../helpers.ts";

const VARS = ["HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "SAEFLOW_CACHE", "XDG_CACHE_HOME", "HF_HUB_OFFLINE"];

/** Runs `body` with the given variables set and the others of VARS unset, then restores them all. */
async function withEnv(vars: Record<string, string>, body: () => void | Promise<void>) {
  const saved = VARS.map((name) => [name, Deno.env.get(name)] as const);
  try {
    for (const name of VARS) {
      if (name in vars) Deno.env.set(name, vars[name]);
      else Deno.env.delete(name);
    }
    await body();
  } finally {
    for (const [name, value] of saved) value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value);
  }
}

Deno.test("defaults come from HF_ENDPOINT, HF_HOME/token, XDG_CACHE_HOME, HF_HUB_OFFLINE; options win", async () => {
  await using home = await tempDir();
  await Deno.writeTextFile(join(home.path, "token"), "hf_from_file\n");
  const env = { HF_ENDPOINT: "http://mirror.test/", HF_HOME: home.path, XDG_CACHE_HOME: "/xdg", HF_HUB_OFFLINE: "1" };
  await withEnv(env, () => {
    const opts = resolveHubOptions();
    assert.equal(opts.endpoint, "http://mirror.test");
    assert.equal(opts.token, "hf_from_file");
    assert.equal(opts.cacheDir, "/xdg/saeflow");
    assert.equal(opts.offline, true);
    assert.equal(opts.retries, 4);
    assert.equal(opts.backoffMs, 500);
    const explicit = resolveHubOptions({ endpoint: "http://other/", token: "", cacheDir: "/c", offline: false });
    assert.deepEqual([explicit.endpoint, explicit.token, explicit.cacheDir, explicit.offline], [
      "http://other",
      "",
      "/c",
      false,
    ]);
  });
  await withEnv({ HF_TOKEN: "hf_from_env", HF_HOME: home.path, SAEFLOW_CACHE: "/cache" }, () => {
    const opts = resolveHubOptions();
    assert.equal(opts.endpoint, "https://huggingface.co");
    assert.equal(opts.token, "hf_from_env", "HF_TOKEN wins over the token file");
    assert.equal(opts.cacheDir, "/cache");
    assert.equal(opts.offline, false);
  });
  await withEnv({ HF_HOME: join(home.path, "none") }, () => {
    assert.equal(resolveHubOptions().token, "", "no token anywhere");
  });
});
