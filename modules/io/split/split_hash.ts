/**
 * The hash every split decision is drawn from: SHA-256 of the UTF-8 bytes of `"<seed>:<id>"`. SHA-256 rather than a
 * fast non-cryptographic hash because it is defined bit for bit by a standard (FIPS 180-4) and ships with every
 * language, so a split can be re-derived outside saeflow (Python: `hashlib.sha256(f"{seed}:{id}".encode())`).
 * @module
 */
import { createHash } from "node:crypto";
import { ConfigError } from "@saeflow/core";

/** A record's split draw: the full digest (for ordering) and the uniform it maps to (for thresholds). */
export interface SplitDraw {
  /** SHA-256 of `"<seed>:<id>"` in lowercase hex (64 characters). */
  hex: string;
  /** The digest's first 53 bits (big-endian) divided by 2^53: uniform in [0, 1), monotone in `hex`. */
  u: number;
}

/**
 * Draws the split hash of one record id. Only the id and the seed go in, never the label or the text, so a record
 * keeps its split when its label is corrected and whichever stage (or language) computes it.
 * Throws a `ConfigError` when the seed is not a safe integer (its decimal text must be unambiguous).
 *
 * @example
 * ```ts
 * const { hex, u } = splitDraw(42, "sst2:0");
 * // Python: h = hashlib.sha256(b"42:sst2:0").digest(); (int.from_bytes(h[:8], "big") >> 11) / 2**53 == u
 * ```
 */
export function splitDraw(seed: number, id: string): SplitDraw {
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`split seed must be a safe integer, got ${seed}`);
  const digest = createHash("sha256").update(`${seed}:${id}`, "utf8").digest();
  // 53 bits = 32 bits of the first word and the top 21 of the second: the most a double holds exactly.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 11;
  return { hex: digest.toString("hex"), u: (high * 2 ** 21 + low) / 2 ** 53 };
}
