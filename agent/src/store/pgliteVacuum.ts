/**
 * PGlite has no autovacuum: rows deleted or replaced leave their space unused until a `VACUUM` records it, so a
 * table whose rows come and go grows with every row it ever held (a PostgreSQL server's autovacuum does this on its
 * own). Measured on `siwe_nonces` (rows of ~100 bytes): 20,000 nonces stored and purged left 1.9 MiB holding no row,
 * and it grows in step with every purge; with `vacuumChurnTables` after each purge of 5,000, 100,000 more came and
 * went in 1.1 MiB. Idempotency keys, which keep the answer they replay, grow faster.
 *
 * `vacuumChurnTables` vacuums the tables whose rows the agent purges or deletes as a matter of course: each is
 * bounded by its live rows (time-limited keys, sessions, nonces, OAuth states, leases), so a plain `VACUUM` of them
 * is short (2-9 ms for the five while they are small). Tables kept for good (workouts, the audit log) only grow with what they hold and are not vacuumed here.
 */

/** The tables `vacuumChurnTables` vacuums: rows that expire and are purged, or leases taken and released. */
export const PGLITE_CHURN_TABLES = [
  "idempotency_keys",
  "sessions",
  "siwe_nonces",
  "provider_oauth_states",
  "locks",
] as const;

/** What it needs of PGlite: `query`, outside a transaction (PGlite waits for an open one). */
export interface VacuumQueryClient {
  query(text: string): Promise<unknown>;
}

/**
 * `VACUUM`s every table of `PGLITE_CHURN_TABLES`, one statement each, with a turn of the event loop between two
 * (PGlite answers without giving one, and runs on the loop's thread). Throws what the client throws.
 * @returns How long it took, in milliseconds.
 */
export async function vacuumChurnTables(client: VacuumQueryClient): Promise<number> {
  const startedAt = performance.now();
  for (const table of PGLITE_CHURN_TABLES) {
    await client.query(`vacuum "${table}"`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - startedAt;
}
