/** Flag value parsers for commander (they fail with the flag's name and what was expected), and shared flags. */
import type { Command } from "commander";
import { ConfigError, type ProgressMode } from "@saeflow/core";

/** A positive integer flag value. */
export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${flag} ${value}: expected a positive integer`);
    return n;
  };
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!choices.includes(value as T)) throw new ConfigError(`${flag} ${value}: expected one of ${choices.join(", ")}`);
    return value as T;
  };
}

const PROGRESS_MODES: readonly ProgressMode[] = ["auto", "bar", "lines", "quiet"];

/** The `--progress` flag of every streaming task. */
export function addProgressOption(command: Command): Command {
  return command.option("--progress <mode>", PROGRESS_MODES.join(" | "), oneOf("--progress", PROGRESS_MODES), "auto");
}
