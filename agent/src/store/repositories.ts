/** Every repository of the store, by name: what `Store` and a transaction hand out. Types only. */
import type { ActiveCommitmentsRepository } from "./activeCommitmentsRepository.ts";
import type { AttestationsRepository } from "./attestationsRepository.ts";
import type { AuditLogRepository } from "./auditLogRepository.ts";
import type { ChainTransactionsRepository } from "./chainTransactionsRepository.ts";
import type { ChallengesRepository } from "./challengesRepository.ts";
import type { CoachCalendarsRepository } from "./coachCalendarsRepository.ts";
import type { CoachConversationsRepository } from "./coachConversationsRepository.ts";
import type { CoachPassQueries } from "./coachPassQueries.ts";
import type { CoachPreferencesRepository } from "./coachPreferencesRepository.ts";
import type { CommitmentsRepository } from "./commitmentsRepository.ts";
import type { EvidenceRepository } from "./evidenceRepository.ts";
import type { IdempotencyKeysRepository } from "./idempotencyKeysRepository.ts";
import type { IndexerCursorRepository } from "./indexerCursorRepository.ts";
import type { LocksRepository } from "./locksRepository.ts";
import type { NudgesRepository } from "./nudgesRepository.ts";
import type { ProviderAccountsRepository } from "./providerAccountsRepository.ts";
import type { ProviderOauthStatesRepository } from "./providerOauthStatesRepository.ts";
import type { RulesDocumentsRepository } from "./rulesDocumentsRepository.ts";
import type { SessionsRepository } from "./sessionsRepository.ts";
import type { SiweNoncesRepository } from "./siweNoncesRepository.ts";
import type { WorkoutReviewsRepository } from "./workoutReviewsRepository.ts";
import type { WorkoutsRepository } from "./workoutsRepository.ts";

export interface Repositories {
  workouts: WorkoutsRepository;
  rulesDocuments: RulesDocumentsRepository;
  commitments: CommitmentsRepository;
  attestations: AttestationsRepository;
  indexerCursor: IndexerCursorRepository;
  auditLog: AuditLogRepository;
  idempotencyKeys: IdempotencyKeysRepository;
  sessions: SessionsRepository;
  siweNonces: SiweNoncesRepository;
  locks: LocksRepository;
  chainTransactions: ChainTransactionsRepository;
  providerAccounts: ProviderAccountsRepository;
  providerOauthStates: ProviderOauthStatesRepository;
  coachPreferences: CoachPreferencesRepository;
  coachCalendars: CoachCalendarsRepository;
  coachConversations: CoachConversationsRepository;
  nudges: NudgesRepository;
  activeCommitments: ActiveCommitmentsRepository;
  evidence: EvidenceRepository;
  workoutReviews: WorkoutReviewsRepository;
  challenges: ChallengesRepository;
  /** Set-based reads and writes of the coach's scheduler pass (issue 18). */
  coachPass: CoachPassQueries;
}
