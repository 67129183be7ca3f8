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
  /** Hears of a store change listener that threw (the write stands); ignored when absent. */
  onChangeListenerError?: (error: unknown) => void;
}

export async function openStore(parameters: OpenStoreParameters): Promise<Store> {
  const { clock, onChangeListenerError, ...databaseParameters } = parameters;
  return createStore(await openDatabase(databaseParameters), clock, onChangeListenerError);
}
