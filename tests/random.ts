/** Seeded randomness for test fixtures: core's generators, so tests and the product draw the same numbers. */
export { mulberry32, standardNormal } from "@saeflow/core";
