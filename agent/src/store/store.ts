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
import { lazyRepositories } from "./lazyRepositories.ts";
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
  reportingWrites,
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
 * The repositories over `db` (the database or one transaction), each made on first use. The locks table's leases
 * expire by `leaseClock` (real elapsed time; see `OpenStoreParameters.leaseClock`).
 */
export function createRepositories(
  db: DatabaseExecutor,
  clock: Clock,
  leaseClock: Clock = clock,
): Repositories {
  return lazyRepositories({
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
  });
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
    ...reportingWrites(createRepositories(database.db, clock, leaseClock), changes.publish),
    driver: database.driver,
    changes,
    transaction: async (work) => {
      // What `work` throws is rethrown as is (after the rollback); only the driver's own failures are mapped.
      let workFailure: { error: unknown } | undefined;
      // Published after the commit: a reader that sees a change must also see the rows behind it.
      const committed: StoreChange[] = [];
      try {
        const result = await database.db.transaction(async (tx) => {
          committed.length = 0; // a driver that retries the callback starts over
          try {
            return await work(
              reportingWrites(createRepositories(tx, clock, leaseClock), (change) => committed.push(change)),
            );
          } catch (error) {
            workFailure = { error };
            throw error;
          }
        });
        for (const change of committed) changes.publish(change);
        return result;
      } catch (error) {
        if (workFailure !== undefined && workFailure.error === error) throw error;
        throw mapDatabaseError(error, "transaction");
      }
    },
    ping: () => database.ping(),
    poolStats: () => database.poolStats(),
    ...pgliteMaintenanceOf(database),
    close: () => database.close(),
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
