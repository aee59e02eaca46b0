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

/**
 * A repeatable flag's parser: each value is parsed and appended (a value parsed to `undefined`, like `none`, adds
 * nothing); the first value given replaces the default list (commander hands the default in as the previous value).
 *
 * @example
 * ```ts
 * const pools = [parsePoolSpec("sum")];
 * command.option("--pool <specs...>", "poolings", listOf(parsePoolSpec, pools), pools);
 * ```
 */
export function listOf<T>(
  parse: (value: string) => T | undefined,
  defaults: readonly T[],
): (value: string, previous?: T[]) => T[] {
  return (value, previous) => {
    const list = previous === undefined || previous === defaults ? [] : previous;
    const parsed = parse(value);
    return parsed === undefined ? list : [...list, parsed];
  };
}

/** An integer flag value ≥ 0. */
export function nonNegativeInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < 0) {
      throw new ConfigError(`${flag} ${value}: expected an integer ≥ 0`);
    }
    return n;
  };
}

/** A number flag value in [min, max]. */
export function numberIn(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new ConfigError(`${flag} ${value}: expected a number in [${min}, ${max}]`);
    }
    return n;
  };
}
