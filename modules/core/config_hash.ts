/**
 * A stable hash of a configuration: the same settings give the same hash whatever the key order,
 * so shards and reports can say exactly which configuration produced them.
 * @module
 */

/**
 * JSON with object keys sorted at every depth; `undefined` members are dropped as JSON.stringify does.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/**
 * Hex SHA-256 of {@link canonicalJson}, shortened to `length` hex digits (16 by default: 64 bits).
 *
 * @example
 * ```ts
 * await configHash({ layers: [12], pool: "sum" }) === await configHash({ pool: "sum", layers: [12] }); // true
 * ```
 */
export async function configHash(config: unknown, length = 16): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(config)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}
