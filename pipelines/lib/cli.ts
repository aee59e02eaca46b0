/**
 * The command-line shell every `deno task` shares: flags parsed by commander, an optional config file (YAML or JSON)
 * whose values the flags override, a hash of the settings that shape the results, Ctrl-C that stops cleanly, and
 * expected errors printed as one clear line instead of a stack trace.
 * @module
 */
import { Command, type Option } from "commander";
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
  /** What Ctrl-C keeps, said when it stops the task (default: finished shards, for the streaming tasks). */
  keptOnInterrupt?: string;
  run(options: O, context: TaskContext): Promise<void>;
}

/**
 * Parses `argv` into options and their config hash. Values of a `--config` file go through the same validation as
 * the flags and count as given (a required option may come from the file); flags override them.
 */
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
  const configFile = configArgument(argv);
  const fromFile = new Map<string, unknown>();
  if (configFile !== undefined) {
    const options = command.options.filter((o) => o.attributeName() !== "config");
    for (const [key, value] of Object.entries(await readConfigFile(configFile))) {
      const option = options.find((o) => o.attributeName() === key);
      if (!option) {
        throw new ConfigError(
          `${configFile}: unknown option "${key}"; known options: ${options.map((o) => o.attributeName()).join(", ")}`,
        );
      }
      const converted = fromConfigFile(option, value, `${configFile}: ${key}`);
      fromFile.set(key, converted);
      // a copy: commander appends a repeated flag's values to the array in place
      command.setOptionValueWithSource(key, Array.isArray(converted) ? [...converted] : converted, "config");
    }
  }
  command.parse(argv, { from: "user" });
  const options: Record<string, unknown> = { ...command.opts() };
  for (const [key, value] of fromFile) {
    // commander appends a repeatable flag's values to what the file gave; a flag replaces the file's value instead
    if (Array.isArray(value) && command.getOptionValueSource(key) === "cli") {
      options[key] = (options[key] as unknown[]).slice(value.length);
    }
  }
  delete options.config;
  const shaping = Object.fromEntries(
    Object.entries(options).filter(([key]) => !definition.presentational.includes(key)),
  );
  return { options: options as O, configHash: await configHash({ task: definition.name, ...shaping }) };
}

/** The value of `--config` in argv (`--config x` or `--config=x`), read before commander parses the rest. */
function configArgument(argv: string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === "--config") return argv[i + 1];
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  return undefined;
}

/** A config-file value converted and checked exactly as the flag's own argument would be. */
function fromConfigFile(option: Option, value: unknown, where: string): unknown {
  if (option.isBoolean()) {
    if (typeof value !== "boolean") {
      throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(value)}`);
    }
    return value;
  }
  const values = Array.isArray(value) && option.variadic ? value : [value];
  if (values.some((v) => v === null || typeof v === "object")) {
    throw new ConfigError(
      `${where}: expected ${option.variadic ? "a value or a list of values" : "one value"}, got ${
        JSON.stringify(value)
      }`,
    );
  }
  const strings = values.map(String);
  if (!option.parseArg) return option.variadic ? strings : strings[0];
  return option.variadic
    ? strings.reduce<unknown>((previous, s) => option.parseArg!(s, previous), undefined)
    : option.parseArg(strings[0], undefined);
}

/**
 * Runs a task as a program: parses `Deno.args`, aborts on Ctrl-C (a second Ctrl-C exits at once), prints saeflow
 * errors as `error: <message>` and exits 1 (130 when interrupted); anything else is a bug: its stack trace is
 * printed and the exit code is 2.
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
    const kept = definition.keptOnInterrupt ?? "finished shards are kept";
    console.error(`\n${definition.name}: interrupted; ${kept}; run the same command again to resume`);
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
    if (controller.signal.aborted) Deno.exit(130); // whatever the interrupted stage threw; the reason was printed
    if (error instanceof SaeflowError) {
      console.error(`error: ${error.message}`);
      Deno.exit(1);
    }
    console.error(error); // a bug: keep the stack trace, and an exit code that says so
    Deno.exit(2);
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
