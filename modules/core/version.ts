/** The saeflow version written into every shard and manifest (kept equal to package.json by a test). */
export const SAEFLOW_VERSION = "0.1.0";
