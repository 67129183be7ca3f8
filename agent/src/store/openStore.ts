/**
 * Opens the agent's store: PostgreSQL when `databaseUrl` is given, else PGlite in `dataDir`; applies pending
 * migrations; returns the repositories. Throws DependencyError when the database cannot be opened or migrated.
 */
import type { Clock } from "../clock.ts";
import { type OpenDatabaseParameters, openDatabase } from "./database.ts";
import { createStore, type Store } from "./store.ts";

export interface OpenStoreParameters extends OpenDatabaseParameters {
  /** Every expiry and `created_at` is taken from this clock. */
  clock: Clock;
  /**
   * Leases (the locks table) expire by this clock; default `clock`. The agent passes the wall clock: with
   * `CLOCK_SOURCE=chain` the business clock follows a chain moved forward, and two replicas' offsets differ by up
   * to the chain's jump between their reads (minutes at the load test's x120), so one saw the other's lease as long
   * expired and both sent from the operator key at once (load test run 9).
   */
  leaseClock?: Clock;
  /** Hears of a store change listener that threw (the write stands); ignored when absent. */
  onChangeListenerError?: (error: unknown) => void;
}

export async function openStore(parameters: OpenStoreParameters): Promise<Store> {
  const { clock, leaseClock, onChangeListenerError, ...databaseParameters } = parameters;
  return createStore(await openDatabase(databaseParameters), clock, onChangeListenerError, leaseClock);
}
