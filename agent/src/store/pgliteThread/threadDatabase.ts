/**
 * PGlite on a thread of its own (`PGLITE_THREAD=true`): the Database the store runs on, with PGlite, its prepared
 * statements, its migrations and its upkeep in a worker (worker.ts) and drizzle on this thread speaking to it
 * through threadClient.ts. What the event loop gains: every statement's WebAssembly runs on the other core; a
 * unit of work (`runOnThread`) runs all its statements there with one crossing. What it costs: a crossing
 * (~11 µs of this thread's CPU) per statement, and a transaction opened from here holds PGlite's lock across
 * crossings (docs/performance.md, issue 18's eighth and tenth passes).
 */
import { deserialize } from "node:v8";
import { Worker } from "node:worker_threads";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { DependencyError } from "../../errors.ts";
import type { Database } from "../databaseContract.ts";
import { mapDatabaseError } from "../databaseErrors.ts";
import { createPing, type PgliteLocation, unavailable } from "../pgliteClient.ts";
import type { CheckpointIfDueReturnType } from "../pgliteWal.ts";
import { type ThreadReady, rebuildError, type WorkReplyOnTheWire } from "./protocol.ts";
import { connectThreadClient, THREAD_EXITED } from "./threadClient.ts";

const WORKER = new URL("./worker.ts", import.meta.url);

/** Starts the database thread, waits for PGlite to be open and migrated there. Throws DependencyError when not. */
export async function openPgliteThread(
  location: PgliteLocation,
  onThreadExit?: (error: Error) => void,
): Promise<Database> {
  const worker = new Worker(WORKER, { workerData: location });
  const ready = await new Promise<ThreadReady>((resolve) => {
    const onMessage = (message: ThreadReady) => settle(message);
    const onError = (error: Error) =>
      settle({ ready: false, error: { name: error.name, message: error.message } });
    const onExit = (code: number) =>
      settle({
        ready: false,
        error: { name: "Error", message: `the database thread exited with code ${code}` },
      });
    // Only this function's listeners come off: the worker's own (which start its port) must stay.
    const settle = (outcome: ThreadReady) => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      resolve(outcome);
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
  if (!ready.ready) {
    await worker.terminate();
    const error = rebuildError(ready.error);
    throw error instanceof DependencyError
      ? error
      : unavailable("PGlite could not start on its thread", error, {
          driver: "pglite",
          dataDir: location.dataDir,
        });
  }
  const client = connectThreadClient(
    worker,
    onThreadExit === undefined ? {} : { onUnexpectedExit: onThreadExit },
  );
  const db = drizzlePglite({ client: client as never });
  const upkeep = async <T>(what: string, body: Parameters<typeof client.call>[0]): Promise<T> => {
    try {
      return (await client.call(body)) as T;
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw unavailable(what, mapDatabaseError(error, what).cause);
    }
  };
  return {
    driver: "pglite",
    db,
    ping: createPing(db),
    poolStats: () => ({ active: 0, idle: 1, waiting: 0, max: 1 }),
    checkpointIfDue: (thresholdBytes) =>
      upkeep<CheckpointIfDueReturnType>("the WAL checkpoint failed", {
        op: "checkpoint",
        ...(thresholdBytes !== undefined ? { thresholdBytes } : {}),
      }),
    vacuumChurnTables: () => upkeep<number>("the vacuum failed", { op: "vacuum" }),
    runOnThread: async (name, input, clocks) => {
      try {
        const reply = (await client.call({ op: "work", name, input, ...clocks })) as WorkReplyOnTheWire;
        return { result: deserialize(reply.result), changes: reply.changes };
      } catch (error) {
        // As `Store.transaction`: what the work threw (the agent's errors, a bug's TypeError) is rethrown as it
        // is; only the database's own failures (the thread gone) are mapped.
        if (error instanceof Error && (error as { code?: unknown }).code === THREAD_EXITED) {
          throw mapDatabaseError(error, "transaction");
        }
        throw error;
      }
    },
    close: () => client.close(),
  };
}
