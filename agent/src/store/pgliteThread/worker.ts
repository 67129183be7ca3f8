/**
 * The database thread: PGlite opened and migrated here (`workerData`: its PgliteLocation), answering the event
 * loop's thread (threadClient.ts) statement by statement, transaction by transaction, and running whole units of
 * work (services/databaseThreadWork.ts) in one transaction each. Protocol: protocol.ts.
 *
 * Statements from outside a transaction queue on PGlite's own locks behind an open one, exactly as on one thread.
 */
import { serialize } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { DATABASE_THREAD_WORK } from "../../services/databaseThreadWork.ts";
import {
  type PgliteClient,
  type PgliteLocation,
  openPgliteClient,
  pgliteMaintenance,
} from "../pgliteClient.ts";
import { transactionReporting } from "../store.ts";
import {
  crossErrorSafely,
  pgliteBroke,
  type ThreadQueryOptions,
  type ThreadReady,
  type ThreadReply,
  type ThreadRequest,
  type WorkReplyOnTheWire,
} from "./protocol.ts";

type Statements = Pick<PgliteClient, "query" | "exec">;
type EndRequest = Extract<ThreadRequest, { op: "end" }>;
type TransactionRequest = Extract<ThreadRequest, { op: "query" | "exec" | "end" }>;

/** A rollback asked for by the event loop's side: thrown out of PGlite's transaction callback, never answered as a failure. */
const ROLLBACK = Symbol("rollback");

/** The requests of one open transaction, taken in order by the callback holding it. */
function createInbox() {
  const queued: TransactionRequest[] = [];
  let waiting: ((request: TransactionRequest) => void) | undefined;
  return {
    put(request: TransactionRequest) {
      if (waiting === undefined) {
        queued.push(request);
      } else {
        const wake = waiting;
        waiting = undefined;
        wake(request);
      }
    },
    take(): Promise<TransactionRequest> {
      const next = queued.shift();
      if (next !== undefined) return Promise.resolve(next);
      return new Promise((resolve) => (waiting = resolve));
    },
  };
}

/** `bytes`' buffer to transfer when `bytes` is all of it (never a slice of a shared pool), else none. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer[] {
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

function post(message: ThreadReply | ThreadReady): void {
  parentPort?.postMessage(message);
}

/**
 * Runs `run` and posts its value (with the buffers `transfer` names moved, not copied), or its error; never rejects
 * (an answer that cannot be posted becomes an error).
 */
async function answer(
  id: number,
  run: () => Promise<unknown>,
  transfer: (value: unknown) => ArrayBuffer[] = () => [],
): Promise<void> {
  try {
    const value = await run();
    parentPort?.postMessage({ id, ok: true, value } satisfies ThreadReply, transfer(value));
  } catch (error) {
    post({ id, ok: false, error: crossErrorSafely(error) });
    // PGlite is unusable after an abort: the thread ends, and the agent stops (onThreadExit) rather than answering
    // every later call with an error while the health checks that do not query it pass.
    if (pgliteBroke(error)) setImmediate(() => process.exit(1));
  }
}

const identity = (value: string) => value;
/** One parsers object per set of types (the prepared statements layer each parsers object once). */
const rawParsers = new Map<string, Record<number, (value: string) => string>>();

/** Identity parsers for the types the caller parses itself. */
function parsersFor(options: ThreadQueryOptions): Record<number, (value: string) => string> {
  const key = (options.rawTypes ?? []).join(",");
  let parsers = rawParsers.get(key);
  if (parsers === undefined) {
    parsers = Object.fromEntries((options.rawTypes ?? []).map((oid) => [oid, identity]));
    // Callers pass a handful of sets (drizzle: one); a stray caller cannot grow this without bound.
    if (rawParsers.size < 64) rawParsers.set(key, parsers);
  }
  return parsers;
}

async function runStatement(client: Statements, request: Extract<ThreadRequest, { op: "query" | "exec" }>) {
  if (request.op === "exec") return client.exec(request.sql);
  const { rows, fields, affectedRows } = await client.query(request.sql, request.params, {
    ...(request.options.rowMode !== undefined ? { rowMode: request.options.rowMode } : {}),
    parsers: parsersFor(request.options),
  });
  return { rows, fields, affectedRows };
}

function serve(client: PgliteClient): void {
  const db = drizzlePglite({ client });
  const maintenance = pgliteMaintenance(client);
  const transactions = new Map<number, ReturnType<typeof createInbox>>();

  const begin = (request: Extract<ThreadRequest, { op: "begin" }>) => {
    const inbox = createInbox();
    transactions.set(request.txId, inbox);
    let begun = false;
    let end: EndRequest | undefined;
    client
      .transaction(async (tx) => {
        begun = true;
        post({ id: request.id, ok: true, value: undefined });
        for (;;) {
          const next = await inbox.take();
          if (next.op === "end") {
            end = next;
            if (!next.commit) throw ROLLBACK;
            return;
          }
          await answer(next.id, () => runStatement(tx, next));
        }
      })
      .then(
        () => {
          if (end !== undefined) post({ id: end.id, ok: true, value: undefined });
        },
        (error: unknown) => {
          if (!begun) post({ id: request.id, ok: false, error: crossErrorSafely(error) });
          else if (end !== undefined && error === ROLLBACK) post({ id: end.id, ok: true, value: undefined });
          else if (end !== undefined) post({ id: end.id, ok: false, error: crossErrorSafely(error) });
        },
      )
      .finally(() => transactions.delete(request.txId));
  };

  const runWork = async (request: Extract<ThreadRequest, { op: "work" }>): Promise<WorkReplyOnTheWire> => {
    const work = Object.hasOwn(DATABASE_THREAD_WORK, request.name)
      ? DATABASE_THREAD_WORK[request.name]
      : undefined;
    if (work === undefined) throw new Error(`no unit of work named ${request.name} on the database thread`);
    const clock = { now: () => request.clockNow };
    const leaseClock = { now: () => request.leaseClockNow };
    const { result, committed } = await transactionReporting(db, clock, leaseClock, async (tx) =>
      // Serialised before the commit: a result that cannot cross rolls the work back rather than answering a
      // committed write with an error.
      serialize(await work(tx, request.input)),
    );
    return { result, changes: committed };
  };

  parentPort?.on("message", (request: ThreadRequest) => {
    if (
      (request.op === "query" || request.op === "exec" || request.op === "end") &&
      request.txId !== undefined
    ) {
      const inbox = transactions.get(request.txId);
      if (inbox === undefined) {
        post({
          id: request.id,
          ok: false,
          error: { name: "Error", message: "no such transaction", code: "25P01" },
        });
      } else {
        inbox.put(request);
      }
      return;
    }
    switch (request.op) {
      case "begin":
        begin(request);
        return;
      case "query":
      case "exec":
        void answer(request.id, () => runStatement(client, request));
        return;
      case "work":
        void answer(
          request.id,
          () => runWork(request),
          (reply) => ownBuffer((reply as WorkReplyOnTheWire).result),
        );
        return;
      case "checkpoint":
        void answer(request.id, () => maintenance.checkpointIfDue(request.thresholdBytes));
        return;
      case "vacuum":
        void answer(request.id, () => maintenance.vacuumChurnTables());
        return;
      case "close":
        // The event loop's side ends this thread once it has the answer.
        void answer(request.id, () => client.close());
        return;
    }
  });
}

try {
  const client = await openPgliteClient(workerData as PgliteLocation);
  serve(client);
  post({ ready: true });
} catch (error) {
  post({ ready: false, error: crossErrorSafely(error) });
}
