/**
 * Test helpers: paths into ../shared/data (read-only third-party data, never copied into the repo), temp
 * directories, and a Python reference (the standard library's csv/json/gzip modules: an implementation nobody on
 * this project wrote).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";

const SHARED_DATA = new URL("../../shared/data/", import.meta.url).pathname;
const SHARED_MODELS = new URL("../../shared/models/", import.meta.url).pathname;

function sharedPath(root: string, what: string, relative: string): string {
  if (!existsSync(root)) {
    throw new Error(`${root} not found: tests read the project's shared ${what} from ${root} (CI provides them)`);
  }
  const path = root + relative;
  if (!existsSync(path)) throw new Error(`${path} not found in the shared ${what}`);
  return path;
}

/** Absolute path of a file under ../shared/data, failing clearly when the shared data is absent. */
export function sharedData(relative: string): string {
  return sharedPath(SHARED_DATA, "datasets", relative);
}

/** Absolute path of a file under ../shared/models (read-only third-party models, never copied into the repo). */
export function sharedModel(relative: string): string {
  return sharedPath(SHARED_MODELS, "models", relative);
}

/** A fresh temp directory, removed when the returned handle is disposed (`await using dir = await tempDir()`). */
export async function tempDir(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "saeflow-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/**
 * The Python 3 the references run on: SAEFLOW_PYTHON when set, else the first of `python3` and Debian's
 * `/usr/bin/python3` that imports NumPy and scikit-learn (a pyenv `python3` on PATH may have neither, while Debian's
 * python3-numpy and python3-sklearn belong to /usr/bin/python3), else `python3`. Found once per process.
 */
let pythonFound: Promise<string> | undefined;
function referencePython(): Promise<string> {
  const chosen = Deno.env.get("SAEFLOW_PYTHON");
  if (chosen) return Promise.resolve(chosen);
  pythonFound ??= (async () => {
    for (const candidate of ["python3", "/usr/bin/python3"]) {
      const probe = await new Deno.Command(candidate, {
        args: ["-c", "import numpy, sklearn"],
        stdout: "null",
        stderr: "null",
      }).output().catch(() => undefined);
      if (probe?.success) return candidate;
    }
    return "python3";
  })();
  return pythonFound;
}

/** Runs a Python 3 snippet (stdin-free) and parses what it prints as JSON. */
export async function python<T = unknown>(code: string, ...args: string[]): Promise<T> {
  const { code: status, stdout, stderr } = await new Deno.Command(await referencePython(), {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (status !== 0) throw new Error(`python3 failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * Checks every file that `<folder>/SHA256SUMS` lists (`sha256  path` lines, as sha256sum writes them) against its
 * bytes, and that it lists every file in `expected` (paths relative to the folder).
 */
export async function assertChecksums(folder: string, expected: readonly string[]): Promise<void> {
  const text = await Deno.readTextFile(join(folder, "SHA256SUMS"));
  const sums = new Map(
    text.trim().split("\n").map((line) => {
      const [hash, path] = line.split(/\s+\*?/);
      return [path, hash];
    }),
  );
  for (const path of expected) {
    const file = join(folder, path);
    const hash = createHash("sha256").update(await Deno.readFile(file)).digest("hex");
    if (hash !== sums.get(path)) throw new Error(`${file}: SHA-256 ${hash}, SHA256SUMS says ${sums.get(path)}`);
  }
}
