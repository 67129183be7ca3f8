/**
 * Opens the database behind the store and brings its schema up to date:
 * - with `databaseUrl` (postgres://...), PostgreSQL through a bounded node-postgres Pool;
 * - without it, PGlite (PostgreSQL compiled to WASM) persisted in `dataDir` (`memory://` keeps it in memory).
 * Both run the same generated SQL migrations from `agent/drizzle/` with drizzle-orm's migrator, and the
 * repositories run the same queries on either.
 */
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { drizzle as drizzleNodePostgres } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePostgres } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { z } from "zod";
import type { Database } from "./databaseContract.ts";
import {
  createPing,
  migrationFailed,
  openPgliteClient,
  type PgliteLocation,
  pgliteMaintenance,
  unavailable,
} from "./pgliteClient.ts";
import { openPgliteThread } from "./pgliteThread/threadDatabase.ts";
import { parseInput } from "./values.ts";

export type { Database, DatabaseDriver, DatabaseExecutor, PoolStats } from "./databaseContract.ts";

export interface PoolParameters {
  /** Most connections the pool opens. Default 10. */
  max?: number;
  /** An idle connection is closed after this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Waiting for a connection fails after this long. Default 5 000 ms. */
  connectionTimeoutMs?: number;
  /** The server cancels any statement running longer (SQLSTATE 57014). Default 10 000 ms. */
  statementTimeoutMs?: number;
}

export interface OpenDatabaseParameters {
  /** postgres:// or postgresql:// URL. When absent, PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory (created if missing). Default `./data/pglite`; `memory://` for an in-memory database. */
  dataDir?: string;
  /**
   * Schema holding the agent's tables and its migrations table, put first on `search_path` (created if
   * missing). Default: `public` for the tables and drizzle's own `drizzle` schema for the migrations table.
   */
  schema?: string;
  pool?: PoolParameters;
  /** Default: `agent/drizzle`. */
  migrationsFolder?: string;
  /**
   * PGlite only: run PGlite on a worker thread of its own (pgliteThread/), not on the event loop's. Default false.
   */
  pgliteThread?: boolean;
  /**
   * PGlite on its own thread only: called once if the thread ends other than by `close()` (every store call
   * fails from then on; the agent stops itself).
   */
  onThreadExit?: (error: Error) => void;
  /** Errors of idle pooled connections (the next query on a broken connection fails and is mapped anyway). */
  onPoolError?: (error: Error) => void;
}

export const DEFAULT_PGLITE_DATA_DIR = "./data/pglite";

export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

const APPLICATION_NAME = "resolution-autopilot-agent";

const openDatabaseSchema = z.object({
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  dataDir: z.string().min(1).optional(),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier")
    .optional(),
  pool: z
    .object({
      max: z.number().int().min(1).max(1000).optional(),
      idleTimeoutMs: z.number().int().min(0).optional(),
      connectionTimeoutMs: z.number().int().min(0).optional(),
      statementTimeoutMs: z.number().int().min(0).optional(),
    })
    .optional(),
  migrationsFolder: z.string().min(1).optional(),
  pgliteThread: z.boolean().optional(),
});

/** Connects, then applies pending migrations. Throws DependencyError when either fails. */
export async function openDatabase(parameters: OpenDatabaseParameters): Promise<Database> {
  const parsed = parseInput(openDatabaseSchema, parameters, "database parameters");
  const migrationsFolder = parsed.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER;
  if (parsed.databaseUrl !== undefined) {
    return openPostgres({
      databaseUrl: parsed.databaseUrl,
      schema: parsed.schema,
      pool: parsed.pool ?? {},
      migrationsFolder,
      onPoolError: parameters.onPoolError,
    });
  }
  const location: PgliteLocation = {
    dataDir: parsed.dataDir ?? DEFAULT_PGLITE_DATA_DIR,
    schema: parsed.schema,
    migrationsFolder,
  };
  return parsed.pgliteThread === true
    ? openPgliteThread(location, parameters.onThreadExit)
    : openPglite(location);
}

async function openPglite(location: PgliteLocation): Promise<Database> {
  const prepared = await openPgliteClient(location);
  const db = drizzlePglite({ client: prepared });
  return {
    driver: "pglite",
    db,
    ping: createPing(db),
    // One in-process session: nothing is pooled and nothing waits on a connection.
    poolStats: () => ({ active: 0, idle: 1, waiting: 0, max: 1 }),
    ...pgliteMaintenance(prepared),
    // The same promise on every call (the gate's).
    close: () => prepared.close(),
  };
}

async function openPostgres(parameters: {
  databaseUrl: string;
  schema: string | undefined;
  pool: PoolParameters;
  migrationsFolder: string;
  onPoolError: ((error: Error) => void) | undefined;
}): Promise<Database> {
  const { databaseUrl, schema, migrationsFolder } = parameters;
  const connectionTimeoutMillis = parameters.pool.connectionTimeoutMs ?? 5_000;
  const connection: pg.ClientConfig = {
    connectionString: databaseUrl,
    connectionTimeoutMillis,
    application_name: APPLICATION_NAME,
    // Timestamps are read in DateStyle ISO (pgTimestamp.ts); a startup option outranks a server, database or role
    // default of another style, which the reader would misread.
    options: ["-c DateStyle=ISO", ...(schema !== undefined ? [`-c search_path=${schema}`] : [])].join(" "),
  };
  const pool = new pg.Pool({
    ...connection,
    max: parameters.pool.max ?? 10,
    idleTimeoutMillis: parameters.pool.idleTimeoutMs ?? 30_000,
    statement_timeout: parameters.pool.statementTimeoutMs ?? 10_000,
  });
  // Without a listener, a connection dropped by the server (a restart ends every session: 57P01) is an
  // unhandled 'error' event that ends the process. The pool listens on idle connections only; a checked-out
  // one (a transaction between two statements) needs its own. Its next query fails (mapped to a
  // DependencyError) and the pool drops it on release. Each error is reported once.
  const reported = new WeakSet<Error>();
  const report = (error: Error) => {
    if (reported.has(error)) return;
    reported.add(error);
    parameters.onPoolError?.(error);
  };
  pool.on("error", report);
  pool.on("connect", (client) => client.on("error", report));
  const db = drizzleNodePostgres({ client: pool });

  // A dedicated connection (outside the pool, no statement timeout) holds an advisory lock while migrating,
  // so several agent instances starting together apply each migration once.
  const lockClient = new pg.Client(connection);
  try {
    await lockClient.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    throw unavailable("cannot connect to PostgreSQL", error, {
      driver: "postgres",
      url: redactUrl(databaseUrl),
    });
  }
  lockClient.on("error", () => {});
  const lockKey = `${APPLICATION_NAME}:migrations:${schema ?? "public"}`;
  try {
    await lockClient.query("select pg_advisory_lock(hashtext($1))", [lockKey]);
    try {
      if (schema !== undefined) await db.execute(sql.raw(`create schema if not exists "${schema}"`));
      await migrateNodePostgres(db, {
        migrationsFolder,
        ...(schema !== undefined ? { migrationsSchema: schema } : {}),
      });
    } finally {
      await lockClient.query("select pg_advisory_unlock(hashtext($1))", [lockKey]);
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw migrationFailed(error, "postgres");
  } finally {
    await lockClient.end().catch(() => {});
  }

  let closing: Promise<void> | undefined;
  return {
    driver: "postgres",
    db,
    ping: createPing(db),
    poolStats: () => ({
      active: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? 10,
    }),
    close: () => {
      closing ??= pool.end();
      return closing;
    },
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
