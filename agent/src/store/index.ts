/** The agent's persistence layer: `openStore` and the types callers use. */
export type {
  AttestationRecord,
  GetOrCreateAttestationReturnType,
  NewAttestation,
} from "./attestationsRepository.ts";
export type { AuditEntry, AuditEntryInput } from "./auditLogRepository.ts";
export type { CommitmentInput, CommitmentKey, CommitmentRecord } from "./commitmentsRepository.ts";
export type { Database, DatabaseDriver, OpenDatabaseParameters, PoolParameters } from "./database.ts";
export type { ClaimIdempotencyKeyReturnType, IdempotencyRecord } from "./idempotencyKeysRepository.ts";
export type { IndexerCursorRecord } from "./indexerCursorRepository.ts";
export { type OpenStoreParameters, openStore } from "./openStore.ts";
export type { RulesDocumentRecord } from "./rulesDocumentsRepository.ts";
export type { MilestoneState, VerdictReason, VerdictStatus, WorkoutSource } from "./schema.ts";
export type { SessionRecord } from "./sessionsRepository.ts";
export type { SiweNonceRecord } from "./siweNoncesRepository.ts";
export type { Repositories, Store } from "./store.ts";
export type { NewWorkout, WorkoutRecord, WorkoutsPage } from "./workoutsRepository.ts";
