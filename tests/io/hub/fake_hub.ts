/**
 * Test fixtures: local HTTP servers that answer with the Hugging Face Hub's URL layout, and a small Parquet file.
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import type { HubOptions } from "../../../modules/io/hub/hub_options.ts";

/** A request as the server saw it. */
export interface SeenRequest {
  path: string;
  headers: Headers;
}

/** A server on 127.0.0.1 that records every request; `await using` shuts it down. */
export class TestServer implements AsyncDisposable {
  readonly requests: SeenRequest[] = [];
  readonly url: string;
  readonly #server: Deno.HttpServer;

  constructor(handler: (request: Request, url: URL) => Response | Promise<Response>) {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const url = new URL(request.url);
      this.requests.push({ path: decodeURIComponent(url.pathname), headers: request.headers });
      return handler(request, url);
    });
    this.url = `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}`;
  }

  async [Symbol.asyncDispose]() {
    await this.#server.shutdown();
  }
}

/** One dataset: config → split → the bytes of each Parquet file. */
export type DatasetFiles = Record<string, Record<string, Uint8Array<ArrayBuffer>[]>>;

export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/**
 * The Hub's layout: `/api/datasets/{id}/parquet` lists `/api/datasets/{id}/parquet/{config}/{split}/{n}.parquet`,
 * which redirects to `/datasets/{id}/resolve/refs%2Fconvert%2Fparquet/{config}/{split}/{nnnn}.parquet`, which
 * redirects (with `X-Repo-Commit`) to `{cdn}/cdn/{id}/{config}/{split}/{n}`, served with Range support. `cdn`
 * defaults to the server itself; run a second server with the same handler to get a CDN on another origin.
 */
export function hubHandler(datasets: Record<string, DatasetFiles>, cdn?: () => string) {
  return (request: Request, url: URL): Response => {
    const path = decodeURIComponent(url.pathname);
    let m = path.match(/^\/api\/datasets\/(.+)\/parquet$/);
    if (m && datasets[m[1]]) {
      const id = m[1];
      const listing = Object.fromEntries(
        Object.entries(datasets[id]).map(([config, splits]) => [
          config,
          Object.fromEntries(
            Object.entries(splits).map(([split, files]) => [
              split,
              files.map((_, n) => `${url.origin}/api/datasets/${id}/parquet/${config}/${split}/${n}.parquet`),
            ]),
          ),
        ]),
      );
      return Response.json(listing);
    }
    m = path.match(/^\/api\/datasets\/(.+)\/parquet\/([^/]+)\/([^/]+)\/(\d+)\.parquet$/);
    if (m) {
      const [, id, config, split, n] = m;
      const file = `${n.padStart(4, "0")}.parquet`;
      const location = `/datasets/${id}/resolve/refs%2Fconvert%2Fparquet/${config}/${split}/${file}`;
      return new Response(null, { status: 302, headers: { location } });
    }
    m = path.match(/^\/datasets\/(.+)\/resolve\/refs\/convert\/parquet\/([^/]+)\/([^/]+)\/(\d+)\.parquet$/);
    if (m) {
      const [, id, config, split, n] = m;
      const location = `${cdn?.() ?? ""}/cdn/${id}/${config}/${split}/${Number(n)}`;
      return new Response(null, { status: 302, headers: { location, "x-repo-commit": COMMIT } });
    }
    m = path.match(/^\/cdn\/(.+)\/([^/]+)\/([^/]+)\/(\d+)$/);
    const bytes = m && datasets[m[1]]?.[m[2]]?.[m[3]]?.[Number(m[4])];
    if (bytes) return serveBytes(request, bytes);
    return new Response("not found", { status: 404 });
  };
}

/** The bytes, or the part a `Range: bytes=N-` asks for (206). */
export function serveBytes(request: Request, bytes: Uint8Array<ArrayBuffer>): Response {
  const start = Number(request.headers.get("range")?.match(/^bytes=(\d+)-$/)?.[1] ?? NaN);
  const etag = `"${bytes.length}"`;
  if (Number.isNaN(start)) return new Response(bytes, { headers: { etag } });
  const headers = { etag, "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` };
  return new Response(bytes.subarray(start), { status: 206, headers });
}

/** A response that announces all of `bytes` but closes the connection after the first `sent` of them. */
export function truncated(bytes: Uint8Array, sent: number, init: { status?: number; headers?: HeadersInit } = {}) {
  const headers = new Headers(init.headers);
  headers.set("content-length", String(bytes.length));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, sent));
      controller.close();
    },
  });
  return new Response(body, { status: init.status, headers });
}

/** A small real Parquet file with a `text` and a `label` column. */
export function parquetFile(rows: number, seed = 0): Uint8Array<ArrayBuffer> {
  const text = Array.from({ length: rows }, (_, i) => `review ${seed}-${i}: ${"good ".repeat(i % 7)}`);
  const label = Array.from({ length: rows }, (_, i) => (i + seed) % 2);
  return new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: "text", data: text, type: "STRING" }, { name: "label", data: label, type: "INT32" }],
  }));
}

/** Options for a test: everything explicit (the environment plays no part), fast retries, retry log kept. */
export function testOptions(endpoint: string, cacheDir: string, extra: HubOptions = {}) {
  const log: string[] = [];
  const options = {
    endpoint,
    cacheDir,
    token: "",
    offline: false,
    retries: 2,
    backoffMs: 1,
    log: (line: string) => void log.push(line),
    ...extra,
  } satisfies HubOptions;
  return { options, log };
}

/** A local port that refuses connections. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
