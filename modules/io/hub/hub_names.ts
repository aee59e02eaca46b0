/**
 * Hub repository ids and path parts: what they may look like, checked before they become URLs or cache paths.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** `name` or `org/name`, letters, digits and `_ . -`. */
export const HUB_ID = /^[\w.-]+(\/[\w.-]+)?$/;

/** Whether `value` can be a Hub repository id (`.` and `..` parts never are). */
export function isHubId(value: string): boolean {
  return HUB_ID.test(value) && !value.split("/").some((part) => /^\.\.?$/.test(part));
}

/**
 * Throws a ConfigError unless `name` matches `pattern` and has no `.` or `..` part: names become cache directories,
 * which such parts would leave.
 */
export function checkHubName(kind: string, name: string, pattern: RegExp, expected: string): void {
  if (!pattern.test(name) || name.split("/").some((part) => /^\.\.?$/.test(part))) {
    throw new ConfigError(`invalid ${kind} "${name}": expected ${expected}`);
  }
}
