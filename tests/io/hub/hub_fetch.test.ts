import assert from "node:assert/strict";
import { HubDownloadError } from "../../../modules/io/hub/hub_errors.ts";
import { hubFetch } from "../../../modules/io/hub/hub_fetch.ts";
import { testOptions, TestServer } from "./fake_hub.ts";

Deno.test("503 twice then 200 succeeds after two logged retries", async () => {
  let calls = 0;
  await using server = new TestServer(() => ++calls <= 2 ? new Response("busy", { status: 503 }) : new Response("ok"));
  const { options, log } = testOptions(server.url, "/unused");
  const { response } = await hubFetch(`${server.url}/x`, {}, options);
  assert.equal(await response.text(), "ok");
  assert.equal(server.requests.length, 3);
  assert.equal(log.length, 2);
  assert.match(log[0], /HTTP 503; retry 1\/2/);
});

Deno.test("429 is retried after its Retry-After (0 s here), not after the long backoff", async () => {
  let calls = 0;
  await using server = new TestServer(() =>
    ++calls === 1 ? new Response(null, { status: 429, headers: { "retry-after": "0" } }) : new Response("ok")
  );
  const { options, log } = testOptions(server.url, "/unused", { backoffMs: 60_000 });
  const started = Date.now();
  const { response } = await hubFetch(`${server.url}/x`, {}, options);
  assert.equal(await response.text(), "ok");
  assert.ok(Date.now() - started < 10_000);
  assert.match(log[0], /HTTP 429; retry 1\/2 in 0 ms/);
});

Deno.test("5xx beyond the retries, other 4xx at once, and redirect loops fail with HubDownloadError", async () => {
  await using server = new TestServer((_, url) => {
    if (url.pathname === "/loop") return new Response(null, { status: 302, headers: { location: "/loop" } });
    return new Response("no", { status: url.pathname === "/bad" ? 400 : 500 });
  });
  const { options } = testOptions(server.url, "/unused");
  await assert.rejects(
    hubFetch(`${server.url}/down`, {}, options),
    (e) => e instanceof HubDownloadError && e.status === 500 && /HTTP 500.* after 2 retries/.test(e.message),
  );
  assert.equal(server.requests.length, 3);
  await assert.rejects(
    hubFetch(`${server.url}/bad`, {}, options),
    (e) => e instanceof HubDownloadError && e.status === 400,
  );
  assert.equal(server.requests.length, 4, "no retry of a 400");
  await assert.rejects(hubFetch(`${server.url}/loop`, {}, options), /more than 5 redirects/);
});

Deno.test("a 403 from the CDN (an expired signed URL) is a failed download, not a gated repository", async () => {
  await using cdn = new TestServer(() => new Response("Request has expired", { status: 403 }));
  await using hub = new TestServer(() =>
    new Response(null, { status: 302, headers: { location: `${cdn.url}/signed` } })
  );
  const { options } = testOptions(hub.url, "/unused", { token: "hf_x" });
  await assert.rejects(
    hubFetch(`${hub.url}/datasets/org/x/resolve/main/a.parquet`, {}, options),
    (e) => e instanceof HubDownloadError && /HTTP 403/.test(e.message) && !/HF_TOKEN/.test(e.message),
  );
  assert.equal(cdn.requests.length, 1, "not retried");
});
