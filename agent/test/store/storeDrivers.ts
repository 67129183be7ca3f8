/**
 * The drivers the store suite runs against, each giving a fresh, isolated database:
 * - PGlite in memory (always available), on the event loop's thread and on a thread of its own;
 * - PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a schema created
 *   for this run only (`agent_store_test_<pid>_<random>`) and dropped afterwards.
 * When PostgreSQL is unreachable its suite is skipped with a message, or fails when CI=true.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SQL } from "drizzle-orm";
import pg from "pg";
import type { Clock } from "../../src/clock.ts";
import {
  type Database,
  type OpenDatabaseParameters,
  openDatabase,
  redactUrl,
} from "../../src/store/database.ts";
import { createStore, type Store } from "../../src/store/store.ts";

/** How many migrations `agent/drizzle/meta/_journal.json` lists: what a fresh database must have applied. */
export const MIGRATION_COUNT: number = (
  JSON.parse(readFileSync(new URL("../../drizzle/meta/_journal.json", import.meta.url), "utf8")) as {
    entries: unknown[];
  }
).entries.length;

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface OpenedTestStore {
  store: Store;
  /** The raw database, for assertions the store deliberately cannot make (e.g. an UPDATE on audit_log). */
  database: Database;
  /** Schema holding drizzle's `__drizzle_migrations` table. */
  migrationsSchema: string;
  /** Parameters that open the same database again (PostgreSQL only: an in-memory PGlite cannot be shared). */
  reopenParameters?: OpenDatabaseParameters;
  cleanup(): Promise<void>;
}

export interface StoreDriver {
  name: string;
  /** Whether `open` yields `reopenParameters` (PostgreSQL; an in-memory PGlite cannot be opened twice). */
  canReopen: boolean;
  open(clock: Clock): Promise<OpenedTestStore>;
}

/** Thrown when PostgreSQL does not accept a connection at all (as opposed to failing once connected). */
export class PostgresUnreachableError extends Error {}

export const pgliteDriver: StoreDriver = {
  name: "PGlite (memory://)",
  canReopen: false,
  open: async (clock) => {
    const database = await openDatabase({ dataDir: "memory://" });
    const store = createStore(database, clock);
    return { store, database, migrationsSchema: "drizzle", cleanup: () => store.close() };
  },
};

/** PGlite in memory on a thread of its own (`PGLITE_THREAD`): the same suites through the database thread. */
export const pgliteThreadDriver: StoreDriver = {
  name: "PGlite (memory://, on its own thread)",
  canReopen: false,
  open: async (clock) => {
    const database = await openDatabase({ dataDir: "memory://", pgliteThread: true });
    const store = createStore(database, clock);
    return { store, database, migrationsSchema: "drizzle", cleanup: () => store.close() };
  },
};

export const postgresDriver: StoreDriver = {
  name: `PostgreSQL (${redactUrl(TEST_DATABASE_URL)})`,
  canReopen: true,
  open: async (clock) => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
    try {
      await admin.connect();
    } catch (error) {
      await admin.end().catch(() => {});
      throw new PostgresUnreachableError(describeError(error), { cause: error });
    }
    const schema = `agent_store_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const dropSchema = async () => {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    };
    const parameters: OpenDatabaseParameters = {
      databaseUrl: TEST_DATABASE_URL,
      schema,
      pool: { max: 5, statementTimeoutMs: 5_000, connectionTimeoutMs: 3_000 },
    };
    let database: Database;
    try {
      database = await openDatabase(parameters);
    } catch (error) {
      await dropSchema();
      throw error;
    }
    const store = createStore(database, clock);
    return {
      store,
      database,
      migrationsSchema: schema,
      reopenParameters: parameters,
      cleanup: async () => {
        await store.close();
        await dropSchema();
      },
    };
  },
};

export const storeDrivers: StoreDriver[] = [pgliteDriver, pgliteThreadDriver, postgresDriver];

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  const message = error.message !== "" ? error.message : error.constructor.name;
  return typeof code === "string" ? `${code}: ${message}` : message;
}

/**
 * Opens the driver for a suite's `before` hook. When PostgreSQL is unreachable: with CI=true the hook fails
 * with a clear message; otherwise the suite is skipped after saying which suite and why.
 */
export async function openOrSkip(
  context: Mocha.Context,
  driver: StoreDriver,
  clock: Clock,
  suiteTitle: string,
): Promise<OpenedTestStore> {
  try {
    return await driver.open(clock);
  } catch (error) {
    if (!(error instanceof PostgresUnreachableError)) throw error;
    return skipOrFailUnreachable(context, suiteTitle, error);
  }
}

/** A suite that needs PostgreSQL, which `error` says is unreachable: fails with CI=true, else is skipped, saying so. */
export function skipOrFailUnreachable(context: Mocha.Context, suiteTitle: string, error: Error): never {
  const where = redactUrl(TEST_DATABASE_URL);
  if (process.env.CI === "true") {
    throw new Error(
      `Suite "${suiteTitle}" needs PostgreSQL, which is unreachable at ${where} (${error.message}). ` +
        "CI=true, so this is a failure: start PostgreSQL or set TEST_DATABASE_URL.",
      { cause: error },
    );
  }
  console.warn(
    `      SKIPPED suite "${suiteTitle}": PostgreSQL is unreachable at ${where} (${error.message}). ` +
      "Start PostgreSQL or set TEST_DATABASE_URL to run it (with CI=true this fails instead).",
  );
  context.skip();
}

/** Rows of a raw query, on either driver (both results carry `rows`). */
export async function queryRows<T extends Record<string, unknown>>(
  database: Database,
  query: SQL,
): Promise<T[]> {
  const result = (await database.db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
