/**
 * Teardown in one place: whatever a process opens registers how to close it the moment it exists, and `close()`
 * closes everything newest first, once, going on past a failure (reported through `onError`, never thrown).
 * Used by the agent's assembly and `main.ts`, the demo (`scripts/demo/cleanup.ts`), `scripts/start.ts` and the
 * end-to-end stack (`web/e2e/stack.ts`). Imports nothing, so any layer may import it.
 *
 *   const closer = new Closer({ onError: (name, err) => logger.error({ err, component: name }, "error while closing") });
 *   closer.add("store", () => store.close());
 *   closer.add("redis", async () => redis.disconnect());
 *   await closer.close(); // redis, then the store
 */

/** Called once for each closer that throws or rejects; the others still run. */
export type CloseFailureHandler = (name: string, error: unknown) => void;

export interface CloserParameters {
  onError: CloseFailureHandler;
}

/** Thrown by `add` once `close()` has begun: the resource was closed at once instead of being registered. */
export class CloserClosedError extends Error {
  override name = "CloserClosedError";
  readonly resource: string;
  constructor(resource: string) {
    super(`stopping: the ${resource} was closed as soon as it started`);
    this.resource = resource;
  }
}

export class Closer {
  readonly #onError: CloseFailureHandler;
  readonly #entries: { name: string; close: () => Promise<void> | void }[] = [];
  #closing: Promise<void> | undefined;

  constructor({ onError }: CloserParameters) {
    this.#onError = onError;
  }

  /** True once `close()` has been called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Registers how to close a resource that now exists. Once `close()` has begun (a signal during start-up), closes
   * it at once instead and throws `CloserClosedError`, so the code starting things stops there.
   */
  add(name: string, close: () => Promise<void> | void): void {
    if (this.#closing !== undefined) {
      void this.#closeOne({ name, close });
      throw new CloserClosedError(name);
    }
    this.#entries.push({ name, close });
  }

  /** Closes every registered resource, newest first, each after the previous has finished; the same promise on every call. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const entry of this.#entries.splice(0).reverse()) await this.#closeOne(entry);
    })();
    return this.#closing;
  }

  async #closeOne({ name, close }: { name: string; close: () => Promise<void> | void }): Promise<void> {
    try {
      await close();
    } catch (error) {
      try {
        this.#onError(name, error);
      } catch {
        // A failing reporter must not stop the teardown.
      }
    }
  }
}
