/**
 * What the demo must undo however it ends (success, a failed step, Ctrl-C): each resource registers its closer
 * the moment it exists, and `run` closes them newest first, once, whatever the others do.
 */
export class Cleanup {
  readonly #closers: { name: string; close: () => Promise<void> }[] = [];
  #running: Promise<void> | undefined;

  /** Registers a closer; once `run` has begun (an interrupt during start-up), closes at once instead and throws. */
  defer(name: string, close: () => Promise<void>): void {
    if (this.#running !== undefined) {
      close().catch(() => undefined);
      throw new Error(`the demo is stopping: the ${name} was closed as soon as it started`);
    }
    this.#closers.push({ name, close });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (const { name, close } of this.#closers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          console.error(
            `demo: closing the ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    })();
    return this.#running;
  }
}
