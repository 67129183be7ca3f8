/**
 * The boilerplate every repository shares, once: a method that parses its input (and clamps a page's limit) then
 * runs with driver errors mapped, "the first row or null", "the row a returning write yields", a row's TTL window and the bounded purge of
 * expired rows.
 */
import { and, eq, is, lte, type Param, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { PgliteSession } from "drizzle-orm/pglite";
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { boundedLimit, parseInput } from "./values.ts";

/**
 * A repository method: parses its argument with `schema` (`ValidationError` naming `what` when invalid), then runs
 * `run` on the parsed value only, driver failures mapped by `withDatabaseErrors(operation)`. Always async: an
 * invalid argument rejects, it does not throw.
 */
export function parsedMethod<S extends z.ZodType, R>(
  schema: S,
  what: string,
  operation: string,
  run: (input: z.output<S>) => Promise<R>,
): (value: unknown) => Promise<R> {
  return async (value) => {
    const input = parseInput(schema, value, what);
    return withDatabaseErrors(operation, () => run(input));
  };
}

/** How a page query clamps the caller's `limit`: `fallback` rows when it names none, never more than `max`. */
export interface PageBounds {
  fallback: number;
  max: number;
}

/**
 * `parsedMethod` for a page query: parses `value` with `schema`, then clamps its `limit` by `bounds` (a
 * non-integer limit is a `ValidationError` too) and runs `run` on both, driver failures mapped.
 */
export function parsedPageMethod<S extends z.ZodType, R>(
  schema: S,
  what: string,
  operation: string,
  bounds: PageBounds,
  run: (input: z.output<S>, limit: number) => Promise<R>,
): (value: { limit?: number }) => Promise<R> {
  return async (value) => {
    const input = parseInput(schema, value, what);
    const limit = boundedLimit(value.limit, bounds);
    return withDatabaseErrors(operation, () => run(input, limit));
  };
}

/**
 * A value of a query built once (see `builtOnce`), filled in at each execution and encoded as `eq(column, value)`
 * encodes a value.
 */
export function columnPlaceholder(name: string, column: PgColumn): Param {
  return sql.param(sql.placeholder(name), column);
}

/**
 * A query built on first use and kept: drizzle composes a query's SQL text and parameters on every call (a third
 * of a one-row lookup's CPU on PGlite); a query built with `columnPlaceholder`s and `.prepare(name)` once runs
 * with `execute({ ...values })`. On PostgreSQL the name makes it a named prepared statement on each connection.
 */
export function builtOnce<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** The first row through `map`, or null when there is none (a `.limit(1)` lookup). */
export function firstOrNull<Row, T>(rows: readonly Row[], map: (row: Row) => T): T | null {
  const row = rows[0];
  return row === undefined ? null : map(row);
}

/**
 * The one row an insert or upsert `.returning()` yields, through `map`. None throws `missing()`: the conflict an
 * insert `.onConflictDoNothing()` met, or by default an "unreachable" error (a plain insert or upsert always
 * returns its row).
 */
export function onlyRow<Row, T>(
  rows: readonly Row[],
  map: (row: Row) => T,
  missing: () => Error = () => new Error("unreachable: a returning write gave no row"),
): T {
  const row = rows[0];
  if (row === undefined) throw missing();
  return map(row);
}

/** The `createdAt`/`expiresAt` pair of a row that lives `ttlMs` from now. */
export function ttlWindow(clock: Clock, ttlMs: number): { createdAt: Date; expiresAt: Date } {
  const createdAt = new Date(clock.now());
  return { createdAt, expiresAt: new Date(createdAt.getTime() + ttlMs) };
}

/** The key columns of a table mirroring a vault: the chain, the vault, and for some the commitment and milestone. */
export interface VaultColumns {
  chainId: PgColumn;
  vault: PgColumn;
  commitmentId?: PgColumn;
  milestoneIndex?: PgColumn;
}

/**
 * The rows of `table` in one vault on one chain, narrowed to one commitment and one milestone when `scope` names
 * them (and the table has the columns).
 */
export function onVault(
  table: VaultColumns,
  scope: { chainId: number; vault: string; commitmentId?: bigint; milestoneIndex?: number },
): SQL | undefined {
  const { commitmentId, milestoneIndex } = table;
  return and(
    eq(table.chainId, scope.chainId),
    eq(table.vault, scope.vault),
    commitmentId === undefined || scope.commitmentId === undefined
      ? undefined
      : eq(commitmentId, scope.commitmentId),
    milestoneIndex === undefined || scope.milestoneIndex === undefined
      ? undefined
      : eq(milestoneIndex, scope.milestoneIndex),
  );
}

/** How a purge of expired rows deletes: in batches of `fallback` rows unless asked, never more than `max`. */
export type PurgeBounds = PageBounds;

export const DEFAULT_PURGE_BOUNDS: PurgeBounds = { fallback: 500, max: 10_000 };

/**
 * `purgeExpired({ limit })`: deletes at most one batch of the rows `expired()` selects (identified by their `key`
 * columns) and returns how many it deleted. The condition is built at each call (it reads the clock).
 */
export function purgeInBatches({
  db,
  table,
  key,
  expired,
  operation,
  bounds = DEFAULT_PURGE_BOUNDS,
}: {
  db: DatabaseExecutor;
  table: PgTable;
  key: readonly [PgColumn, ...PgColumn[]];
  expired: () => SQL | undefined;
  operation: string;
  bounds?: PurgeBounds;
}): (parameters?: { limit?: number }) => Promise<number> {
  return async (parameters = {}) => {
    const limit = boundedLimit(parameters.limit, bounds);
    return withDatabaseErrors(operation, async () => {
      const selection = Object.fromEntries(key.map((column, index) => [`k${index}`, column]));
      const batch = db.select(selection).from(table).where(expired()).limit(limit);
      const keyTuple = key.length === 1 ? sql`${key[0]}` : sql`(${sql.join([...key], sql`, `)})`;
      const rows = await db.delete(table).where(sql`${keyTuple} in (${batch})`).returning({ k0: key[0] });
      return rows.length;
    });
  };
}

/**
 * `purgeInBatches` for a table whose rows expire at their `expiresAt` column: a row is expired once `expiresAt`
 * is at or before the clock's now.
 */
export function purgeExpiredRows(
  db: DatabaseExecutor,
  clock: Clock,
  table: PgTable & { expiresAt: PgColumn },
  key: readonly [PgColumn, ...PgColumn[]],
  operation: string,
  bounds?: PurgeBounds,
): (parameters?: { limit?: number }) => Promise<number> {
  const expired = () => lte(table.expiresAt, new Date(clock.now()));
  return purgeInBatches({ db, table, key, expired, operation, bounds });
}

/**
 * Takes the transaction-scoped advisory lock named `name` (one writer per owner, across replicas) on PostgreSQL.
 * On PGlite there is nothing to take: it is one session in this process, and `PGlite.transaction` holds its
 * transaction mutex from BEGIN to COMMIT while every statement outside that transaction (`query`, `exec`, another
 * `transaction`, the prepared statements of pgliteStatements.ts) waits for that mutex, so a transaction already
 * excludes every other writer, whatever the name; the lock would cost a statement and exclude nothing more.
 */
export async function advisoryTransactionLock(
  db: DatabaseExecutor,
  name: string,
  operation: string,
): Promise<void> {
  if (is(db._.session, PgliteSession)) return;
  await withDatabaseErrors(operation, async () => {
    await db.execute(sql`select pg_advisory_xact_lock(hashtext(${name}))`);
  });
}
