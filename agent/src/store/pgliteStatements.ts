/**
 * PGlite with named prepared statements, for drizzle: what `openDatabase` hands drizzle instead of the bare PGlite.
 *
 * `PGlite.query` runs every statement from scratch: Parse (the SQL text parsed, analysed and planned), Describe,
 * Bind, Describe, Execute and Sync, six calls into the WebAssembly Postgres, then merges its whole table of type
 * parsers with the caller's (drizzle passes nine) for every result. For the agent's short queries that was most of
 * a statement's cost: ~370 µs of CPU for a one-row lookup against ~70 µs for the same statement prepared once.
 *
 * `withPreparedStatements(client)` keeps the same interface and semantics and changes only how a data statement
 * (`select`, `insert`, `update`, `delete`, `with`) runs:
 * - the first time a text is seen it is parsed once as a named statement (Parse + Describe + Sync, one call), and
 *   its parameter types and row description are kept;
 * - each execution is then one call: Bind + Execute + Sync, written in one buffer (pgliteBindMessage.ts); the
 *   parameters are serialised as `PGlite.query` does (by the types Postgres inferred), the rows parsed with the
 *   caller's parsers layered over PGlite's (no merged copy; layered once per parsers object);
 * - it holds the same locks as `PGlite.query`: outside a transaction the transaction lock and the query lock (so
 *   it can never run inside another caller's open transaction), inside one the query lock; and it syncs to the
 *   file system after a statement outside a transaction, as `PGlite.query` does, where syncing does something
 *   (`hasFsSync`: not in memory nor on disk, where Emscripten writes through);
 * - errors are PGlite's (`DatabaseError` with the SQLSTATE, the query, params and options attached), raised at the
 *   same point: a statement that does not parse is not kept.
 * At most `maxStatements` texts are kept (least recently used closed first): drizzle writes one text per shape,
 * but an `in (...)` list or a multi-row insert has one per length. A kept statement is prepared again after 64
 * runs, then 128, 256, ... up to every 8,192, so its plan follows the tables' growth (`PGLITE_REPLAN_FIRST_RUNS`).
 *
 * Anything else (DDL, `set`, `savepoint`, `exec`, a query with `paramTypes` or a `blob`) goes to PGlite unchanged;
 * DDL, `set`/`reset`/`discard`, `do` and anything through `exec` also forget every kept statement, so a schema
 * change (the migrations) never meets a plan made before it. Prepared statements outlive a rollback (they are the session's, not the transaction's).
 *
 * A data statement gives the event loop a turn first when PGlite has kept it busy for `PGLITE_YIELD_AFTER_MS`
 * (`yieldWhenBusy`).
 */
import {
  type PGlite,
  parse,
  protocol,
  type QueryOptions,
  type Results,
  type Transaction,
} from "@electric-sql/pglite";
import { EmscriptenBuiltinFilesystem } from "@electric-sql/pglite/basefs";
import { bindExecuteSync } from "./pgliteBindMessage.ts";

/** Default `maxStatements`. */
export const PGLITE_STATEMENTS_MAX = 500;

/**
 * PGlite runs PostgreSQL on this thread and its promises resolve without ever returning to the event loop, so a
 * chain of statements (a transaction storing a long track's fingerprint, say) would hold the loop for all of
 * them. Before a statement, once the statements since the loop last ran took longer than this, the loop is
 * given a turn (`setImmediate`): other requests' I/O is served between statements. A transaction's statements
 * still run in order and under its locks; only the wait between two of them changes.
 */
export const PGLITE_YIELD_AFTER_MS = 4;

let busySince: number | undefined;

/** Resolves at once while the loop ran recently, or after one turn of the loop once PGlite kept it busy. */
export async function yieldWhenBusy(): Promise<void> {
  const at = performance.now();
  if (busySince === undefined) {
    busySince = at;
    setImmediate(() => {
      busySince = undefined;
    });
    return;
  }
  if (at - busySince < PGLITE_YIELD_AFTER_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A kept statement is prepared again after this many runs, then after twice as many each time, up to
 * `PGLITE_REPLAN_MAX_RUNS`. Postgres plans a named statement when it is prepared (and settles on a generic plan
 * after five runs) and keeps that plan until the schema changes; PGlite has no autovacuum whose statistics would
 * make it plan again. A statement first run on a nearly empty table kept that table's plan for the life of the
 * process: the ingest lookup, prepared on an empty `workouts` table, went on scanning every workout of the owner
 * (0.96 ms at 2,000 of them) instead of using the two indexes it uses when prepared on the full table (0.06 ms).
 * Preparing again costs one Parse (~0.3 ms) per hundreds to thousands of runs.
 */
export const PGLITE_REPLAN_FIRST_RUNS = 64;
export const PGLITE_REPLAN_MAX_RUNS = 8192;

export interface WithPreparedStatementsParameters {
  client: PGlite;
  /** Most statement texts kept prepared. Default 500. */
  maxStatements?: number;
  /** Runs before a kept statement is first prepared again (then twice as many each time); for tests. */
  replanFirstRuns?: number;
}

/** The PGlite drizzle runs on: `query` and `transaction` prepare data statements, the rest is the client's own. */
export type WithPreparedStatementsReturnType = PGlite & {
  /** How many statement texts are kept prepared now (for tests). */
  readonly preparedStatements: number;
};

type BackendMessage = Awaited<ReturnType<PGlite["execProtocolStream"]>>[number];
type RowDescription = InstanceType<typeof protocol.messages.RowDescriptionMessage>;

interface Prepared {
  name: string;
  /** `name` in UTF-8, as a Bind names it. */
  nameBytes: Uint8Array;
  /** The parameter types Postgres inferred, in order. */
  parameterTypes: readonly number[];
  /** Absent for a statement that returns no rows. */
  rowDescription: RowDescription | undefined;
  /** Runs since it was prepared. */
  runs: number;
  /** After this many runs it is prepared again (`PGLITE_REPLAN_FIRST_RUNS`). */
  replanAfter: number;
}

/**
 * Whether `client.syncToFs()` can do anything: not on the file systems Emscripten writes through itself (memory, and
 * a directory on disk), whose `syncToFs` is `EmscriptenBuiltinFilesystem`'s empty one; there a call is only a
 * mutex and a few promises per statement (~5-10 µs of a one-row lookup). IndexedDB and OPFS file systems sync.
 */
function hasFsSync(client: PGlite): boolean {
  const fs = (client as { fs?: { syncToFs?: unknown } }).fs;
  return fs?.syncToFs !== EmscriptenBuiltinFilesystem.prototype.syncToFs;
}

/** Wrappers made in this process: each names its statements apart, should two share a client. */
let wrappers = 0;

const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * Statements that may change what a kept statement means (the schema, the search path): they forget every kept
 * statement. Transaction control (`savepoint`, `release`, `rollback to`) and locks do not.
 */
const SCHEMA_CHANGE = /^\s*(create|alter|drop|comment|set|reset|discard|do)\b/i;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** PGlite's own error decoration (`makePGliteError`): the query, params and options on the DatabaseError. */
function withQuery(error: unknown, query: string, params: unknown[] | undefined, options?: QueryOptions) {
  if (error instanceof protocol.messages.DatabaseError) {
    Object.assign(error, { query, params, queryOptions: options });
  }
  return error;
}

/** The parameter types and row description a Describe of a statement answered. */
function describedBy(
  messages: readonly BackendMessage[],
): Omit<Prepared, "name" | "nameBytes" | "runs" | "replanAfter"> {
  let parameterTypes: readonly number[] = [];
  let rowDescription: RowDescription | undefined;
  for (const message of messages) {
    if (message instanceof protocol.messages.ParameterDescriptionMessage) {
      parameterTypes = message.dataTypeIDs;
    } else if (message instanceof protocol.messages.RowDescriptionMessage) rowDescription = message;
  }
  return { parameterTypes, rowDescription };
}

/** Serialises a parameter as `PGlite.query` does: by the type Postgres inferred, else its string. */
function serialize(
  client: PGlite,
  value: unknown,
  type: number | undefined,
  options?: QueryOptions,
): string | null {
  if (value === null || value === undefined) return null;
  const serializer =
    type === undefined ? undefined : (options?.serializers?.[type] ?? client.serializers[type]);
  return serializer !== undefined ? serializer(value) : String(value);
}

type ParserTable = Parameters<typeof parse.parseResults>[1];

/**
 * The caller's parsers layered over PGlite's (PGlite copies its whole table for every result when a caller passes
 * any): made on a parsers object's first use and kept while the object lives, or, for parsers that all return
 * their text as is, kept per set of types. drizzle passes one object per prepared query and never changes it; a
 * caller that changes its parsers object after using it passes a new one.
 */
function layeredParsers(client: PGlite, layered: LayeredParsers, options?: QueryOptions): ParserTable {
  const own = options?.parsers;
  if (own === undefined) return client.parsers as ParserTable;
  let parsers = layered.byObject.get(own);
  if (parsers !== undefined) return parsers;
  // drizzle's PGlite session makes a new object of identity parsers for every query it runs unprepared (each
  // statement of a transaction): one table per set of types they cover, instead of one per object (a WeakMap
  // entry each, ~5 µs a statement with their collection, measured).
  const identityKey = identityParsersKey(own);
  parsers = identityKey === undefined ? undefined : layered.byIdentityTypes.get(identityKey);
  if (parsers === undefined) {
    parsers = Object.assign(Object.create(client.parsers) as ParserTable, own);
    if (identityKey !== undefined && layered.byIdentityTypes.size < IDENTITY_TABLES_MAX) {
      layered.byIdentityTypes.set(identityKey, parsers);
    } else {
      layered.byObject.set(own, parsers);
    }
  }
  // A frozen object cannot change, and one that is frozen is kept for reuse (statementTemplates.ts passes one for
  // every run): found by the object itself from now on, without reading its parsers' source again.
  if (Object.isFrozen(own)) layered.byObject.set(own, parsers);
  return parsers;
}

/** Layered parser tables: by the caller's object, and by the types of a caller's all-identity parsers. */
interface LayeredParsers {
  byObject: WeakMap<object, ParserTable>;
  /** Bounded by the sets of type ids callers use (drizzle: one). */
  byIdentityTypes: Map<string, ParserTable>;
}

/** Most sets of identity parsers kept (past it a new set is layered per object, as any other parsers). */
const IDENTITY_TABLES_MAX = 16;

/** The source of a one-parameter arrow function that returns its parameter: `(value) => value`, `v => v`. */
const IDENTITY_SOURCE = /^\(?\s*([A-Za-z_$][\w$]*)\s*\)?\s*=>\s*\1$/;
const functionSource = Function.prototype.toString;

/**
 * The type ids of a parsers object whose every parser returns its text as is (judged by its source: an arrow that
 * captures nothing and returns its parameter behaves the same whichever object holds it), else undefined.
 */
function identityParsersKey(own: Record<number, unknown>): string | undefined {
  let key = "";
  for (const type in own) {
    const parser = own[type as unknown as number];
    if (typeof parser !== "function" || !IDENTITY_SOURCE.test(functionSource.call(parser))) return undefined;
    key += `${type},`;
  }
  return key;
}

/** The result `PGlite.query` would give for an execution's messages: the kept row description first. */
function resultOf<T>(
  parsers: ParserTable,
  prepared: Prepared,
  messages: BackendMessage[],
  options: QueryOptions | undefined,
): Results<T> {
  const results = parse.parseResults(
    prepared.rowDescription === undefined ? messages : [prepared.rowDescription, ...messages],
    parsers,
    options === undefined ? undefined : { ...options, parsers: undefined },
  );
  return results[0] as Results<T>;
}

/** Parse + Describe + Sync of `text` as the statement `name`, after closing the `closing` ones: one call. */
function parseNamed(
  client: PGlite,
  name: string,
  text: string,
  closing: readonly Uint8Array[],
): Promise<BackendMessage[]> {
  return client.execProtocolStream(
    concat([
      ...closing,
      protocol.serialize.parse({ name, text }),
      protocol.serialize.describe({ type: "S", name }),
      protocol.serialize.sync(),
    ]),
    { syncToFs: false },
  );
}

export function withPreparedStatements({
  client,
  maxStatements = PGLITE_STATEMENTS_MAX,
  replanFirstRuns = PGLITE_REPLAN_FIRST_RUNS,
}: WithPreparedStatementsParameters): WithPreparedStatementsReturnType {
  /** Text → statement, least recently used first (a Map keeps insertion order; a hit is moved to the end). */
  const statements = new Map<string, Prepared>();
  /** Each caller's parsers layered over PGlite's (`layeredParsers`). */
  const layered: LayeredParsers = { byObject: new WeakMap(), byIdentityTypes: new Map() };
  /** Names of evicted statements, closed with the next call into Postgres. */
  const toClose: string[] = [];
  wrappers += 1;
  const prefix = `pglite_${wrappers}_s`;
  let counter = 0;
  const most = Math.max(1, maxStatements);
  const syncsToFs = hasFsSync(client);

  const closeMessages = (): Uint8Array[] =>
    toClose.splice(0).map((name) => protocol.serialize.close({ type: "S", name }));

  const forgetAll = () => {
    for (const { name } of statements.values()) toClose.push(name);
    statements.clear();
  };

  /** Parses `text` as a new named statement (under the query lock); not kept when it fails. */
  const prepare = async (
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
    replanAfter: number,
  ): Promise<Prepared> => {
    counter += 1;
    const name = `${prefix}${counter}`;
    let messages: BackendMessage[];
    try {
      messages = await parseNamed(client, name, text, closeMessages());
    } catch (error) {
      throw withQuery(error, text, params, options);
    }
    const prepared = {
      name,
      nameBytes: Buffer.from(name, "utf8"),
      ...describedBy(messages),
      runs: 0,
      replanAfter,
    };
    statements.set(text, prepared);
    while (statements.size > most) {
      const oldest = statements.keys().next().value;
      if (oldest === undefined) break;
      const evicted = statements.get(oldest);
      statements.delete(oldest);
      if (evicted !== undefined) toClose.push(evicted.name);
    }
    return prepared;
  };

  /** One execution of a data statement, the caller holding the query lock. */
  const execute = async <T>(
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
    inTransaction: boolean,
  ): Promise<Results<T>> => {
    await yieldWhenBusy();
    let prepared = statements.get(text);
    if (prepared === undefined) {
      prepared = await prepare(text, params, options, Math.max(1, replanFirstRuns));
    } else if (prepared.runs >= prepared.replanAfter) {
      // Planned again on the tables as they are now (PGLITE_REPLAN_FIRST_RUNS); the old one is closed.
      statements.delete(text);
      toClose.push(prepared.name);
      prepared = await prepare(
        text,
        params,
        options,
        Math.min(prepared.replanAfter * 2, Math.max(PGLITE_REPLAN_MAX_RUNS, replanFirstRuns)),
      );
    } else {
      statements.delete(text);
      statements.set(text, prepared);
    }
    prepared.runs += 1;
    const { parameterTypes } = prepared;
    const values = params.map((value, i) => serialize(client, value, parameterTypes[i], options));
    const run = bindExecuteSync(prepared.nameBytes, values);
    let messages: BackendMessage[];
    try {
      messages = await client.execProtocolStream(
        toClose.length === 0 ? run : concat([...closeMessages(), run]),
        {
          syncToFs: false,
        },
      );
    } catch (error) {
      throw withQuery(error, text, params, options);
    }
    if (!inTransaction && syncsToFs) await client.syncToFs();
    return resultOf<T>(layeredParsers(client, layered, options), prepared, messages, options);
  };

  const preparable = (text: string, options?: QueryOptions): boolean =>
    DATA_STATEMENT.test(text) && options?.paramTypes === undefined && options?.blob === undefined;

  const query = async <T>(
    text: string,
    params: unknown[] = [],
    options?: QueryOptions,
  ): Promise<Results<T>> => {
    if (!preparable(text, options)) {
      if (SCHEMA_CHANGE.test(text)) forgetAll();
      return client.query<T>(text, params, options);
    }
    await client._checkReady();
    return client._runExclusiveTransaction(() =>
      client._runExclusiveQuery(() => execute<T>(text, params, options, false)),
    );
  };

  const transaction = <T>(callback: (tx: Transaction) => Promise<T>): Promise<T> =>
    client.transaction((tx) => {
      const prepared: Transaction = Object.create(tx);
      prepared.query = async <R>(text: string, params: unknown[] = [], options?: QueryOptions) => {
        if (!preparable(text, options)) {
          if (SCHEMA_CHANGE.test(text)) forgetAll();
          return tx.query<R>(text, params, options);
        }
        if (tx.closed) throw new Error("Transaction is closed");
        return client._runExclusiveQuery(() => execute<R>(text, params, options, true));
      };
      return callback(prepared);
    });

  const exec = (text: string, options?: QueryOptions) => {
    forgetAll();
    return client.exec(text, options);
  };

  return new Proxy(client, {
    get(target, property) {
      if (property === "query") return query;
      if (property === "transaction") return transaction;
      if (property === "exec") return exec;
      if (property === "preparedStatements") return statements.size;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as WithPreparedStatementsReturnType;
}
