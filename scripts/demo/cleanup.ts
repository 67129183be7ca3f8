/**
 * What the demo must undo however it ends (success, a failed step, Ctrl-C): each resource registers its closer
 * the moment it exists, and `run` closes them newest first, once, whatever the others do (the agent's `Closer`).
 */
import { Closer } from "../../agent/src/lifecycle/closer.ts";

export class Cleanup {
  readonly #closer = new Closer({
    onError: (name, error) =>
      console.error(
        `demo: closing the ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });

  /** Registers a closer; once `run` has begun (an interrupt during start-up), closes at once instead and throws. */
  defer(name: string, close: () => Promise<void>): void {
    this.#closer.add(name, close);
  }

  run(): Promise<void> {
    return this.#closer.close();
  }
}
