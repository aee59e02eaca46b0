/**
 * One writer per shard directory: an exclusive advisory lock on `<dir>/.lock`. The operating system drops it when
 * the process dies, so a killed run never leaves a stale lock behind.
 * @module
 */
import { ConfigError } from "@saeflow/core";

export class DirectoryLock {
  #file: Deno.FsFile | undefined;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Takes the lock, or fails at once (no waiting) when another writer holds it. */
  static async acquire(dir: string): Promise<DirectoryLock> {
    const file = await Deno.open(`${dir}/.lock`, { read: true, write: true, create: true });
    if (!(await file.tryLock(true))) {
      file.close();
      throw new ConfigError(
        `${dir} is being written by another saeflow run (its .lock is held); wait for it or use another directory`,
      );
    }
    return new DirectoryLock(file);
  }

  /** Gives the lock up; later calls do nothing. */
  release(): void {
    this.#file?.close(); // closing the handle drops the lock
    this.#file = undefined;
  }
}
