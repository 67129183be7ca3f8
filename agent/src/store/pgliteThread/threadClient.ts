/**
 * The event loop's side of the database thread: a client with the PGlite methods drizzle and the store use
 * (`query`, `exec`, `transaction`, `close`, `closed`), each call posted to the worker (worker.ts) and its answer
 * awaited. Parsers a caller passes run here, on the values the worker leaves as PostgreSQL's text.
 *
 * While calls are in flight the worker keeps the process alive; when none are, it does not (an idle store holds
 * nothing open, as PGlite on this thread did not). When the worker dies, every call in flight and every later
 * one fails with a driver error (`code` `pglite_thread_exited`), which the store maps to a DependencyError, and
 * `onUnexpectedExit` hears of it once (not when `close()` ended the thread).
 */
import type { Worker } from "node:worker_threads";
import type { QueryOptions, Results } from "@electric-sql/pglite";
import {
  type CrossedError,
  rebuildError,
  type ThreadQueryOptions,
  type ThreadReply,
  type ThreadRequest,
} from "./protocol.ts";

type RequestBody = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** The statement methods of a PGlite client or of one of its transactions. */
export interface ThreadStatements {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string): Promise<unknown>;
}

export interface ThreadTransaction extends ThreadStatements {
  readonly closed: boolean;
}

export interface ThreadClient extends ThreadStatements {
  transaction<T>(callback: (tx: ThreadTransaction) => Promise<T>): Promise<T>;
  /** Sends a request outside the statement methods (units of work, upkeep) and resolves with its value. */
  call(body: RequestBody): Promise<unknown>;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** The driver error code of every call once the thread is gone. */
export const THREAD_EXITED = "pglite_thread_exited";

function exited(reason: string): Error {
  return Object.assign(new Error(`the database thread is gone: ${reason}`), { code: THREAD_EXITED });
}

/** Applies the caller's parsers to the fields the worker returned as text (`rawTypes`). */
function parsed<T>(results: Results<T>, options: QueryOptions | undefined): Results<T> {
  const parsers = options?.parsers;
  if (parsers === undefined) return results;
  const byIndex = results.fields.map((field) => parsers[field.dataTypeID]);
  if (byIndex.every((parser) => parser === undefined)) return results;
  for (const row of results.rows as unknown[]) {
    const values = row as Record<string | number, unknown>;
    results.fields.forEach((field, index) => {
      const parser = byIndex[index];
      if (parser === undefined) return;
      const key = options?.rowMode === "array" ? index : field.name;
      const value = values[key];
      if (typeof value === "string") values[key] = parser(value);
    });
  }
  return results;
}

function crossableOptions(options: QueryOptions | undefined): ThreadQueryOptions {
  return {
    ...(options?.rowMode !== undefined ? { rowMode: options.rowMode } : {}),
    ...(options?.parsers !== undefined ? { rawTypes: Object.keys(options.parsers).map(Number) } : {}),
  };
}

export interface ConnectThreadClientOptions {
  /** Called once when the thread ends other than through `close()` (an uncaught error, out of memory). */
  onUnexpectedExit?: (error: Error) => void;
}

export function connectThreadClient(worker: Worker, options: ConnectThreadClientOptions = {}): ThreadClient {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let nextTxId = 1;
  let gone: Error | undefined;
  let closing: Promise<void> | undefined;
  worker.unref();

  const failAll = (error: Error) => {
    const unexpected = gone === undefined && closing === undefined;
    gone ??= error;
    for (const { reject } of pending.values()) reject(gone);
    pending.clear();
    worker.unref();
    if (!unexpected) return;
    try {
      options.onUnexpectedExit?.(error);
    } catch {
      // The listener's own failure must not leave the calls above unanswered or escape the worker's events.
    }
  };
  worker.on("message", (reply: ThreadReply) => {
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(rebuildError(reply.error as CrossedError));
  });
  worker.on("error", (error) => failAll(exited(error.message)));
  worker.on("exit", (code) => failAll(exited(`exited with code ${code}`)));

  const call = (body: RequestBody): Promise<unknown> => {
    if (gone !== undefined) return Promise.reject(gone);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...body, id });
      } catch (error) {
        // A parameter that cannot be cloned (a function, say): the statement never left.
        pending.delete(id);
        if (pending.size === 0) worker.unref();
        reject(error as Error);
      }
    });
  };

  /** A statement on a transaction that has ended fails at once, as PGlite's own closed transaction does. */
  const transactionClosed = () => Promise.reject(new Error("Transaction is closed"));

  const statements = (txId: number | undefined, ended: () => boolean = () => false): ThreadStatements => ({
    query: async <T>(sql: string, params: unknown[] = [], options?: QueryOptions) => {
      if (ended()) return transactionClosed();
      const results = (await call({
        op: "query",
        ...(txId !== undefined ? { txId } : {}),
        sql,
        params,
        options: crossableOptions(options),
      })) as Results<T>;
      return parsed(results, options);
    },
    exec: (sql: string) =>
      ended() ? transactionClosed() : call({ op: "exec", ...(txId !== undefined ? { txId } : {}), sql }),
  });

  return {
    ...statements(undefined),
    call,
    transaction: async <T>(callback: (tx: ThreadTransaction) => Promise<T>): Promise<T> => {
      const txId = nextTxId++;
      await call({ op: "begin", txId });
      let ended = false;
      const tx: ThreadTransaction = {
        ...statements(txId, () => ended),
        get closed() {
          return ended;
        },
      };
      let result: T;
      try {
        result = await callback(tx);
      } catch (error) {
        ended = true;
        await call({ op: "end", txId, commit: false }).catch(() => {});
        throw error;
      }
      ended = true;
      await call({ op: "end", txId, commit: true });
      return result;
    },
    close: () => {
      closing ??= (async () => {
        // PGlite closes (and flushes) on its thread first; the thread is then ended from here, whatever happened.
        try {
          if (gone === undefined) await call({ op: "close" });
        } finally {
          gone ??= exited("closed");
          // A terminating worker does not keep the event loop alive, so a caller awaiting close() with nothing else
          // pending (the bench's last steps, a script's last line) saw the process exit before close() resolved
          // (exit code 13). A timer holds the loop until the thread has ended (well under a second).
          const holdOpen = setTimeout(() => {}, 60_000);
          try {
            await worker.terminate();
          } finally {
            clearTimeout(holdOpen);
          }
        }
      })();
      return closing;
    },
    get closed() {
      return gone !== undefined;
    },
  };
}
