/**
 * The contract every database behind the store meets (database.ts opens one): PostgreSQL through a pool, PGlite
 * on the event loop's thread, or PGlite on a thread of its own (pgliteThread/).
 */
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { CheckpointIfDueReturnType } from "./pgliteWal.ts";
import type { StoreChange } from "./storeChange.ts";

/** What repositories run queries on: the database itself or an open transaction (both are PgDatabase). */
export type DatabaseExecutor = PgDatabase<PgQueryResultHKT>;

export type DatabaseDriver = "pglite" | "postgres";

export interface Database {
  readonly driver: DatabaseDriver;
  readonly db: DatabaseExecutor;
  /** Runs `select 1`; throws DependencyError when the database does not answer. */
  ping(): Promise<void>;
  /** Ends the pool or closes PGlite (flushing it to `dataDir`). Idempotent. */
  close(): Promise<void>;
  /** Connections in use, idle and waited for, and the most the pool opens (PGlite: one session). */
  poolStats(): PoolStats;
  /**
   * PGlite only: a checkpoint once `thresholdBytes` of WAL (default one 16 MiB segment) was written since the last
   * one (PGlite never starts one itself; see pgliteWal.ts). Throws DependencyError when PGlite does not answer. A
   * PostgreSQL server checkpoints on its own.
   */
  checkpointIfDue?(thresholdBytes?: number): Promise<CheckpointIfDueReturnType>;
  /**
   * PGlite only: `VACUUM`s the tables whose rows come and go (PGlite has no autovacuum; see pgliteVacuum.ts) and
   * resolves with the milliseconds it took. Throws DependencyError when PGlite does not answer.
   */
  vacuumChurnTables?(): Promise<number>;
  /**
   * PGlite on a thread of its own only: runs the unit of work `name` with `input` in one transaction there (see
   * `Store.transactionOnDatabaseThread`), its repositories reading the clocks' values given.
   */
  runOnThread?(
    name: string,
    input: unknown,
    clocks: { clockNow: number; leaseClockNow: number },
  ): Promise<{ result: unknown; changes: StoreChange[] }>;
}

export interface PoolStats {
  active: number;
  idle: number;
  waiting: number;
  max: number;
}
