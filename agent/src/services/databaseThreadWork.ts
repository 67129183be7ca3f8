/**
 * The units of work that run whole on the database thread when PGlite has one (`PGLITE_THREAD=true`; see
 * store/pgliteThread/): each is one transaction whose statements would otherwise cross between the threads one by
 * one while holding PGlite's lock. Each takes the transaction's repositories and a structured-cloneable input and
 * resolves with a structured-cloneable result. Add a use case here only when it is hot and all its inputs can be
 * posted (no functions, no class instances the result depends on).
 */
import type { Repositories } from "../store/repositories.ts";
import { ingestOnDatabaseThread } from "./ingestActivities.ts";

/** A unit of work as the database thread calls it: its input arrives as posted, typed by the unit itself. */
export type DatabaseThreadWork = (tx: Repositories, input: unknown) => Promise<unknown>;

export const DATABASE_THREAD_WORK: Readonly<Record<string, DatabaseThreadWork>> = {
  ingest: ingestOnDatabaseThread as DatabaseThreadWork,
};
