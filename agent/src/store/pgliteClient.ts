/**
 * PGlite opened and migrated on the calling thread, and what every PGlite database shares: its ping, its upkeep
 * and how its failures read. database.ts uses it on the event loop's thread, pgliteThread/worker.ts on its own.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { DependencyError } from "../errors.ts";
import { withCloseGate } from "./closeGate.ts";
import type { Database, DatabaseDriver, DatabaseExecutor } from "./databaseContract.ts";
import { mapDatabaseError } from "./databaseErrors.ts";
import { withPreparedStatements } from "./pgliteStatements.ts";
import { vacuumChurnTables } from "./pgliteVacuum.ts";
import { checkpointIfDue, PGLITE_WAL_START_PARAMS } from "./pgliteWal.ts";

export function unavailable(
  what: string,
  cause: unknown,
  details: Record<string, unknown> = {},
): DependencyError {
  return new DependencyError({
    code: "database_unavailable",
    message: `The database is unavailable: ${what}.`,
    details,
    cause,
  });
}

export function migrationFailed(cause: unknown, driver: DatabaseDriver): DependencyError {
  return new DependencyError({
    code: "database_migration_failed",
    message: "Applying the database migrations failed.",
    details: { driver },
    cause: mapDatabaseError(cause, "migration").cause,
  });
}

export function createPing(db: DatabaseExecutor): () => Promise<void> {
  return async () => {
    try {
      await db.execute(sql`select 1`);
    } catch (error) {
      throw unavailable("ping failed", mapDatabaseError(error, "ping").cause);
    }
  };
}

/** PGlite's data directory, schema and migrations: what opening it takes, on this thread or its own. */
export interface PgliteLocation {
  dataDir: string;
  schema: string | undefined;
  migrationsFolder: string;
}

/** The migrated PGlite client the store runs on: prepared statements, behind the close gate. */
export type PgliteClient = Awaited<ReturnType<typeof openPgliteClient>>;

/**
 * Opens PGlite in `dataDir` on this thread and applies pending migrations. Throws DependencyError when either
 * fails. Also what the database thread (pgliteThread/worker.ts) runs.
 */
export async function openPgliteClient(location: PgliteLocation) {
  const { dataDir, schema, migrationsFolder } = location;
  let client: PGlite;
  try {
    // A plain path is a directory on disk; `memory://` (or another scheme PGlite knows) is left to PGlite.
    if (!/^[a-z]+:\/\//.test(dataDir)) await mkdir(dataDir, { recursive: true });
    client = await PGlite.create(dataDir, {
      startParams: [...PGlite.defaultStartParams, ...PGLITE_WAL_START_PARAMS],
    });
  } catch (error) {
    throw unavailable("PGlite could not open its data directory", error, { driver: "pglite", dataDir });
  }
  // Data statements are prepared once and then run in one call each (see pgliteStatements.ts).
  // Closed through the gate: it waits for the statements in flight (PGlite hangs when closed under one).
  const prepared = withCloseGate(withPreparedStatements({ client }));
  try {
    if (schema !== undefined) {
      // PGlite has a single session, so this search_path holds for every later query.
      await prepared.exec(`create schema if not exists "${schema}"; set search_path to "${schema}";`);
    }
    await migratePglite(drizzlePglite({ client: prepared }), {
      migrationsFolder,
      ...(schema !== undefined ? { migrationsSchema: schema } : {}),
    });
  } catch (error) {
    await prepared.close().catch(() => {});
    throw migrationFailed(error, "pglite");
  }
  return prepared;
}

/** PGlite's upkeep on `client` (on the thread that runs it), with its failures mapped to DependencyError. */
export function pgliteMaintenance(
  client: PgliteClient,
): Required<Pick<Database, "checkpointIfDue" | "vacuumChurnTables">> {
  return {
    checkpointIfDue: async (thresholdBytes) => {
      try {
        return await checkpointIfDue(client, thresholdBytes);
      } catch (error) {
        throw unavailable("the WAL checkpoint failed", mapDatabaseError(error, "checkpoint").cause);
      }
    },
    vacuumChurnTables: async () => {
      try {
        return await vacuumChurnTables(client);
      } catch (error) {
        throw unavailable("the vacuum failed", mapDatabaseError(error, "vacuum").cause);
      }
    },
  };
}
