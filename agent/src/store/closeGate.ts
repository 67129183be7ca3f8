/**
 * Calls in flight through a client, and a close that waits for them.
 *
 * Why PGlite needs it: `PGlite.close()` takes its locks only long enough to mark itself closing, then shuts the
 * backend down and removes the read and write callbacks Postgres calls. A call that passed PGlite's readiness check
 * before that mark and was still waiting for a lock (a request's read right after its transaction, when the agent
 * stops under load) then runs on a backend without callbacks: the callback call traps, PGlite's protocol loop
 * swallows the trap, and every later turn of the loop raises "terminating connection because protocol
 * synchronization was lost" without consuming any input. The call never returns and the process spins at 100 % of
 * a core until it is killed (electric-sql/pglite issue 1058 describes the loop). The gate closes that window:
 * - a call that starts after `close` began is refused at once (`ClosedGateError`, "PGlite is closing");
 * - `close` runs the client's own close only once every call in flight has settled, whatever its outcome.
 * Nested calls (a transaction's statements) are the outer call's and never pass the gate again.
 *
 * `withCloseGate(client)` puts a PGlite client (the bare one, or `withPreparedStatements`'s) behind a gate: the
 * calls that run statements pass the gate, and its `close` is the gate's. Close through it, never through the
 * client inside. The close waits for the calls in flight without a limit, as PGlite's own close waits for an open
 * transaction: a transaction stuck on something outside the database holds the stop up (at no CPU).
 */
import type { PGlite } from "@electric-sql/pglite";

/** What a call refused by a closing gate rejects with; the message is PGlite's own for the same state. */
export class ClosedGateError extends Error {
  override name = "ClosedGateError";
  constructor() {
    super("PGlite is closing");
  }
}

export interface CloseGate {
  /** Runs `work` as a call in flight; refused with `ClosedGateError` once `close` has begun. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Refuses new calls, waits until every call in flight has settled, then runs `closeClient` once. The same promise
   * on every call.
   */
  close(closeClient: () => Promise<void>): Promise<void>;
  /** Calls in flight now. */
  readonly inFlight: number;
}

export type CreateCloseGateReturnType = CloseGate;

export function createCloseGate(): CreateCloseGateReturnType {
  let inFlight = 0;
  let closing: Promise<void> | undefined;
  /** Resolves the wait of a `close` that found calls in flight, when the last one settles. */
  let drained: (() => void) | undefined;

  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  };

  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      if (closing !== undefined) return Promise.reject(new ClosedGateError());
      inFlight += 1;
      let running: Promise<T>;
      try {
        running = work();
      } catch (error) {
        settle();
        return Promise.reject(error);
      }
      return running.finally(settle);
    },
    close(closeClient) {
      closing ??= (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        await closeClient();
      })();
      return closing;
    },
    get inFlight() {
      return inFlight;
    },
  };
}

/** The methods of a PGlite client the gate covers: every way to run a statement, and both ways to close. */
type GatedMethods = Pick<PGlite, "query" | "sql" | "transaction" | "exec" | "describeQuery" | "close"> & {
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** What the gate needs of a client: PGlite's statement methods, its close and whether it is closed. */
type GateableClient = Omit<GatedMethods, typeof Symbol.asyncDispose> & { readonly closed: boolean };

export type WithCloseGateReturnType<C extends GateableClient> = C;

/**
 * `client` with its `query`, `sql`, `transaction`, `exec` and `describeQuery` counted by a gate, and `close` (and
 * `await using`'s dispose) waiting for them. The protocol-level methods (`execProtocol*`, `runExclusive`) are the
 * client's own: the agent never calls them.
 */
export function withCloseGate<C extends GateableClient>(client: C): WithCloseGateReturnType<C> {
  const gate = createCloseGate();
  const close = () => gate.close(() => (client.closed ? Promise.resolve() : client.close()));
  const gated: GatedMethods = {
    query: (...args) => gate.run(() => client.query(...args)),
    sql: (...args) => gate.run(() => client.sql(...args)),
    transaction: (callback) => gate.run(() => client.transaction(callback)),
    exec: (...args) => gate.run(() => client.exec(...args)),
    describeQuery: (...args) => gate.run(() => client.describeQuery(...args)),
    close,
    [Symbol.asyncDispose]: close,
  };
  return new Proxy(client, {
    get(target, property) {
      if (Object.hasOwn(gated, property)) return gated[property as keyof GatedMethods];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
