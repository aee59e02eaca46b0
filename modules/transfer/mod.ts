/**
 * `@saeflow/transfer`: train on one dataset, language or model, evaluate on another, as a matrix with the
 * in-domain vs transfer gap. The probe and the metric are parameters, so any probe of `@saeflow/probe` fits.
 *
 * @example
 * ```ts
 * import { transferMatrix } from "@saeflow/transfer";
 * const { scores, gap } = await transferMatrix(domains, { fit, score });
 * ```
 * @module
 */
export { type TransferDomain, transferMatrix, type TransferProbe, type TransferResult } from "./transfer_matrix.ts";
