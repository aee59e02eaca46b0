/**
 * `@saeflow/probe`: logistic regression, decision trees and k-sparse probes on sparse features, with macro-F1 and friends.
 *
 * Not built yet: this member exists so that the shape of the pipeline is visible. It exports nothing
 * until its issue ("5 of 7 — probe + metrics + transfer basics") lands; importing a name from it fails at type-check time rather than at run time.
 * @module
 */
export {};
