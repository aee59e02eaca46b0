/**
 * The command-line shell every `deno task` shares: flags parsed by commander, an optional config file (YAML or JSON)
 * whose values the flags override, a hash of the settings that shape the results, Ctrl-C that stops cleanly, and
 * expected errors printed as one clear line instead of a stack trace.
 * @module
 */
import { Command } from "commander";
import { parse } from "yaml";
import { ConfigError, configHash, SaeflowError } from "@saeflow/core";

/** What a task gets besides its options. */
export interface TaskContext {
  /** Hash of the options that shape the results (everything but `presentational` ones). */
  configHash: string;
  /** Aborted on SIGINT/SIGTERM: stop reading, let the shard sink discard the shard in flight. */
  signal: AbortSignal;
}

/** A `deno task` entry point. */
export interface TaskDefinition<O> {
  /** The task name, as in `deno task <name>`. */
  name: string;
  summary: string;
  /** Declares the task's flags. Their camelCase names are the keys a config file may set. */
  options(command: Command): Command;
  /** Options that do not change results (output directory, progress display): left out of the config hash. */
  presentational: string[];
  run(options: O, context: TaskContext): Promise<void>;
}

/** Parses `argv` (flags over an optional `--config` file) into options and their config hash. */
export async function parseTask<O>(
  definition: TaskDefinition<O>,
  argv: string[],
): Promise<{ options: O; configHash: string }> {
  const command = definition.options(
    new Command(`deno task ${definition.name}`)
      .description(definition.summary)
      .option("--config <file>", "YAML or JSON file of options (keys as camelCase flag names); flags override it")
      .showHelpAfterError("(run with --help for the options)")
      .exitOverride(),
  );
  command.parse(argv, { from: "user" });
  const flags = command.opts();
  const options: Record<string, unknown> = { ...flags };
  if (typeof flags.config === "string") {
    const known = command.options.map((o) => o.attributeName());
    for (const [key, value] of Object.entries(await readConfigFile(flags.config))) {
      if (!known.includes(key)) {
        throw new ConfigError(
          `${flags.config}: unknown option "${key}"; known options: ${known.filter((k) => k !== "config").join(", ")}`,
        );
      }
      if (command.getOptionValueSource(key) !== "cli") options[key] = value;
    }
  }
  delete options.config;
  const shaping = Object.fromEntries(
    Object.entries(options).filter(([key]) => !definition.presentational.includes(key)),
  );
  return { options: options as O, configHash: await configHash({ task: definition.name, ...shaping }) };
}

/**
 * Runs a task as a program: parses `Deno.args`, aborts on Ctrl-C (a second Ctrl-C exits at once), prints saeflow
 * errors as `error: <message>` and exits 1; anything else is a bug and keeps its stack trace (exit 2).
 *
 * @example
 * ```ts
 * if (import.meta.main) await runTask(ingestTask);
 * ```
 */
export async function runTask<O>(definition: TaskDefinition<O>, argv: string[] = Deno.args): Promise<void> {
  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    console.error(`\n${definition.name}: interrupted; finished shards are kept; run the same command again to resume`);
    controller.abort(new SaeflowError("interrupted"));
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, interrupt);
  try {
    const { options, configHash } = await parseTask(definition, argv);
    await definition.run(options, { configHash, signal: controller.signal });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version") return;
    if (code?.startsWith("commander.")) Deno.exit(1); // commander printed the problem already
    if (error instanceof SaeflowError) {
      console.error(`error: ${error.message}`);
      Deno.exit(controller.signal.aborted ? 130 : 1);
    }
    throw error;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, interrupt);
  }
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new ConfigError(`${path}: cannot read config file (${(error as Error).message})`, { cause: error });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: expected a mapping of option names to values`);
  }
  return parsed as Record<string, unknown>;
}
