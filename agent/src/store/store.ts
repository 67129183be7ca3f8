/**
 * The store: every repository over one database, plus transactions, a health ping and close. The same code
 * runs on PGlite and PostgreSQL. Failures surface as the agent's typed errors (see `databaseErrors.ts`).
 */
import type { Clock } from "../clock.ts";
import { createActiveCommitmentsRepository } from "./activeCommitmentsRepository.ts";
import { createAttestationsRepository } from "./attestationsRepository.ts";
import { createAuditLogRepository } from "./auditLogRepository.ts";
import { createChainTransactionsRepository } from "./chainTransactionsRepository.ts";
import { createChallengesRepository } from "./challengesRepository.ts";
import { createCoachCalendarsRepository } from "./coachCalendarsRepository.ts";
import { createCoachConversationsRepository } from "./coachConversationsRepository.ts";
import { createCoachPassQueries } from "./coachPassQueries.ts";
import { createCoachPreferencesRepository } from "./coachPreferencesRepository.ts";
import { createCommitmentsRepository } from "./commitmentsRepository.ts";
import type { Database, DatabaseDriver, DatabaseExecutor, PoolStats } from "./database.ts";
import { mapDatabaseError } from "./databaseErrors.ts";
import { createEvidenceRepository } from "./evidenceRepository.ts";
import { createIdempotencyKeysRepository } from "./idempotencyKeysRepository.ts";
import { createIndexerCursorRepository } from "./indexerCursorRepository.ts";
import { lazyRepositories, type RepositoryFactories } from "./lazyRepositories.ts";
import { createLocksRepository } from "./locksRepository.ts";
import { createNudgesRepository } from "./nudgesRepository.ts";
import type { CheckpointIfDueReturnType } from "./pgliteWal.ts";
import { createProviderAccountsRepository } from "./providerAccountsRepository.ts";
import { createProviderOauthStatesRepository } from "./providerOauthStatesRepository.ts";
import type { Repositories } from "./repositories.ts";
import { createRulesDocumentsRepository } from "./rulesDocumentsRepository.ts";
import { createSessionsRepository } from "./sessionsRepository.ts";
import { createSiweNoncesRepository } from "./siweNoncesRepository.ts";
import {
  createStoreChangeFeed,
  reportingFactories,
  type StoreChange,
  type StoreChanges,
} from "./storeChanges.ts";
import { createWorkoutReviewsRepository } from "./workoutReviewsRepository.ts";
import { createWorkoutsRepository } from "./workoutsRepository.ts";

export type { Repositories } from "./repositories.ts";

export interface Store extends Repositories {
  readonly driver: DatabaseDriver;
  /** Writes a commitment's view depends on, reported once durable (see `storeChanges.ts`). */
  readonly changes: StoreChanges;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws (the error is
   * rethrown). Inside, use only the repositories passed to `work`: on PGlite (a single connection) a call on
   * the outer store would wait for the transaction to end, i.e. forever.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * PGlite on a thread of its own (`PGLITE_THREAD`) only: runs the unit of work registered as `name`
   * (services/databaseThreadWork.ts) with `input` in one transaction on that thread, where its statements cost no
   * crossing each, and resolves with its result. The store's clocks are read here, at the call, and lent to the
   * work; the changes its writes report are published here after the commit. Errors as `transaction`'s.
   */
  transactionOnDatabaseThread?(name: string, input: unknown): Promise<unknown>;
  /** For `/health?deep=1`: resolves when the database answers, else throws DependencyError. */
  ping(): Promise<void>;
  /** For `/health?deep=1`: the connection pool's use (absent on stores that are not over a database). */
  poolStats?(): PoolStats;
  /** PGlite only: checkpoints once enough WAL was written since the last checkpoint (see pgliteWal.ts). */
  checkpointIfDue?(thresholdBytes?: number): Promise<CheckpointIfDueReturnType>;
  /** PGlite only: vacuums the tables whose rows come and go, in milliseconds (see pgliteVacuum.ts). */
  vacuumChurnTables?(): Promise<number>;
  /** Closes the database. Idempotent; any later call fails with DependencyError. */
  close(): Promise<void>;
}

/**
 * The repositories over `db` (the database or one transaction), each made on first use, their view-relevant writes
 * reporting to `report` when given (storeChanges.ts). The locks table's leases expire by `leaseClock` (real elapsed
 * time; see `OpenStoreParameters.leaseClock`).
 */
export function createRepositories(
  db: DatabaseExecutor,
  clock: Clock,
  leaseClock: Clock = clock,
  report?: (change: StoreChange) => void,
): Repositories {
  const factories = repositoryFactories(db, clock, leaseClock);
  return lazyRepositories(report === undefined ? factories : reportingFactories(factories, report));
}

function repositoryFactories(db: DatabaseExecutor, clock: Clock, leaseClock: Clock): RepositoryFactories {
  return {
    workouts: () => createWorkoutsRepository(db, clock),
    rulesDocuments: () => createRulesDocumentsRepository(db, clock),
    commitments: () => createCommitmentsRepository(db, clock),
    attestations: () => createAttestationsRepository(db, clock),
    indexerCursor: () => createIndexerCursorRepository(db, clock),
    auditLog: () => createAuditLogRepository(db, clock),
    idempotencyKeys: () => createIdempotencyKeysRepository(db, clock),
    sessions: () => createSessionsRepository(db, clock),
    siweNonces: () => createSiweNoncesRepository(db, clock),
    locks: () => createLocksRepository(db, leaseClock),
    chainTransactions: () => createChainTransactionsRepository(db, clock),
    providerAccounts: () => createProviderAccountsRepository(db, clock),
    providerOauthStates: () => createProviderOauthStatesRepository(db, clock),
    coachPreferences: () => createCoachPreferencesRepository(db, clock),
    coachCalendars: () => createCoachCalendarsRepository(db, clock),
    coachConversations: () => createCoachConversationsRepository(db, clock),
    nudges: () => createNudgesRepository(db, clock),
    activeCommitments: () => createActiveCommitmentsRepository(db, clock),
    evidence: () => createEvidenceRepository(db, clock),
    workoutReviews: () => createWorkoutReviewsRepository(db, clock),
    challenges: () => createChallengesRepository(db, clock),
    coachPass: () => createCoachPassQueries(db, clock),
  };
}

/**
 * Builds the store over an opened (and migrated) database; the store owns it from then on. `onChangeListenerError`
 * hears of a change listener that threw (the write itself stands).
 */
export function createStore(
  database: Database,
  clock: Clock,
  onChangeListenerError: (error: unknown) => void = () => {},
  leaseClock: Clock = clock,
): Store {
  const changes = createStoreChangeFeed(onChangeListenerError);
  return {
    ...createRepositories(database.db, clock, leaseClock, changes.publish),
    driver: database.driver,
    changes,
    transaction: async (work) => {
      const { result, committed } = await transactionReporting(database.db, clock, leaseClock, work);
      // Published after the commit: a reader that sees a change must also see the rows behind it.
      for (const change of committed) changes.publish(change);
      return result;
    },
    ...onDatabaseThreadOf(database, clock, leaseClock, changes.publish),
    ping: () => database.ping(),
    poolStats: () => database.poolStats(),
    ...pgliteMaintenanceOf(database),
    close: () => database.close(),
  };
}

/**
 * Runs `work` in one transaction on `db`: committed when it resolves, rolled back when it throws (that error is
 * rethrown as is; only the driver's own failures are mapped). Resolves with the result and the view-relevant
 * changes its writes reported, for the caller to publish now that they are durable.
 */
export async function transactionReporting<T>(
  db: DatabaseExecutor,
  clock: Clock,
  leaseClock: Clock,
  work: (tx: Repositories) => Promise<T>,
): Promise<{ result: T; committed: StoreChange[] }> {
  let workFailure: { error: unknown } | undefined;
  const committed: StoreChange[] = [];
  try {
    const result = await db.transaction(async (tx) => {
      committed.length = 0; // a driver that retries the callback starts over
      try {
        return await work(createRepositories(tx, clock, leaseClock, (change) => committed.push(change)));
      } catch (error) {
        workFailure = { error };
        throw error;
      }
    });
    return { result, committed };
  } catch (error) {
    if (workFailure !== undefined && workFailure.error === error) throw error;
    throw mapDatabaseError(error, "transaction");
  }
}

/** With PGlite on a thread of its own: units of work run there, their changes published here after the commit. */
function onDatabaseThreadOf(
  database: Database,
  clock: Clock,
  leaseClock: Clock,
  publish: (change: StoreChange) => void,
): Pick<Store, "transactionOnDatabaseThread"> {
  const { runOnThread } = database;
  if (runOnThread === undefined) return {};
  return {
    transactionOnDatabaseThread: async (name, input) => {
      const { result, changes } = await runOnThread(name, input, {
        clockNow: clock.now(),
        leaseClockNow: leaseClock.now(),
      });
      for (const change of changes) publish(change);
      return result;
    },
  };
}

/** The database's own upkeep, when it needs the agent's (PGlite: WAL checkpoints and vacuums). */
function pgliteMaintenanceOf(database: Database): Pick<Store, "checkpointIfDue" | "vacuumChurnTables"> {
  const { checkpointIfDue, vacuumChurnTables } = database;
  return {
    ...(checkpointIfDue === undefined ? {} : { checkpointIfDue }),
    ...(vacuumChurnTables === undefined ? {} : { vacuumChurnTables }),
  };
}
