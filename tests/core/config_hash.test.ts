import assert from "node:assert/strict";
import { canonicalJson, configHash, SAEFLOW_VERSION } from "@saeflow/core";

Deno.test("canonical JSON sorts keys at every depth and keeps array order", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }, 1], u: undefined }), '{"a":[{"c":3,"d":2},1],"b":1}');
});

Deno.test("config hash is the SHA-256 of canonical JSON, independent of key order", async () => {
  const h = await configHash({ layers: [12], pool: "sum" });
  assert.equal(h, await configHash({ pool: "sum", layers: [12] }));
  assert.notEqual(h, await configHash({ pool: "sum", layers: [13] }));
  // Independent reference: sha256('{"layers":[12],"pool":"sum"}') computed with coreutils.
  const cmd = new Deno.Command("sha256sum", { stdin: "piped", stdout: "piped" }).spawn();
  const writer = cmd.stdin.getWriter();
  await writer.write(new TextEncoder().encode('{"layers":[12],"pool":"sum"}'));
  await writer.close();
  const out = new TextDecoder().decode((await cmd.output()).stdout);
  assert.equal(h, out.slice(0, 16));
  assert.equal((await configHash({}, 64)).length, 64);
});

Deno.test("the version in shards is the package.json version", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("../../package.json", import.meta.url)));
  assert.equal(SAEFLOW_VERSION, pkg.version);
});
