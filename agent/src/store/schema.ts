/**
 * The agent's relational schema (drizzle pg-core). One schema for both drivers: PGlite (embedded default) and
 * PostgreSQL (when `DATABASE_URL` is set). Migrations under `agent/drizzle/` are generated from this file with
 * `npx drizzle-kit generate` (see `agent/drizzle.config.ts`); never edit a generated migration, add a new one.
 *
 * Conventions:
 * - Addresses are stored lower-case (`0x` + 40 hex) so lookups are exact; repositories checksum them on output.
 * - Hashes and signatures are stored lower-case hex text.
 * - uint256/uint128 chain values are `numeric(78, 0)` (78 digits hold 2^256 - 1), read back as `bigint`.
 * - Times the agent decides (expiries, created_at) come from the injected clock, so no column defaults to now().
 * - Tables are unqualified (no schema prefix) so a deployment or a test run can place them in any schema via
 *   `search_path`; for the same reason there are no foreign keys (drizzle-kit qualifies their targets).
 */
import type { MilestoneState } from "@resolution-autopilot/vocabulary/milestoneState";
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { parsePgTimestamptz } from "./pgTimestamp.ts";

export const workoutSources = ["fit", "gpx", "tcx", "manual", "provider"] as const;
export type WorkoutSource = (typeof workoutSources)[number];

export const verdictStatuses = ["accepted", "rejected"] as const;
export type VerdictStatus = (typeof verdictStatuses)[number];

/** One reason attached to a verdict (stable machine code + human message). */
export interface VerdictReason {
  code: string;
  message: string;
}

/**
 * Where a workout's `sport` comes from: the evidence named it (a file's sport, a provider's type, a manual log),
 * the agent inferred it from the data of a file that named none, the owner declared it for such a file, or it
 * is still open (`other`, nothing inferred or declared). See workouts/inferSport.ts.
 */
export const sportOrigins = ["named", "inferred", "declared", "unknown"] as const;
export type SportOrigin = (typeof sportOrigins)[number];

/** What is kept about the sport of a workout whose file left it open (`sport_detail`). */
export interface SportDetail {
  /** The file's own label, if any ("Other", "generic"). */
  fileSport?: string;
  /** The inference from the data (inferSport.ts), whatever became of it. */
  inference: { sport: string; candidate: string; confidence: number; basis: string[]; message: string };
  /** Sports the data is not plausible for, with the `implausible_speed` message each would get. */
  implausible: Record<string, string>;
  /** The sport the owner declared, when they did. */
  declared?: string;
}

/** On-chain `MilestoneState`, by name, in the contract's order (generated from the contract: packages/vocabulary). */
export {
  MILESTONE_STATES as milestoneStates,
  type MilestoneState,
} from "@resolution-autopilot/vocabulary/milestoneState";

/** An owner's appeal of a milestone, as the vault's `appealOf` reports it (v2). */
export interface MilestoneAppeal {
  index: number;
  /** Unix seconds (block time of the `appeal` call). */
  appealedAt: number;
  /** The bond the owner posted, in the stake's token units, decimal. */
  bond: string;
}

export const idempotencyStates = ["pending", "completed"] as const;
export type IdempotencyState = (typeof idempotencyStates)[number];

/**
 * `timestamp with time zone` read as a `Date`: drizzle's own timestamp column reads the driver's text with
 * `new Date(text)`, which misreads years below 100 (pgTimestamp.ts); written as ISO 8601, as drizzle writes it.
 */
const timestamptz = customType<{ data: Date; driverData: string }>({
  dataType: () => "timestamp with time zone",
  toDriver: (value) => value.toISOString(),
  fromDriver: parsePgTimestamptz,
});
const uint256 = (name: string) => numeric(name, { precision: 78, scale: 0, mode: "bigint" });
const lowerAddress = (column: unknown) => sql`${column} ~ '^0x[0-9a-f]{40}$'`;
const lowerBytes32 = (column: unknown) => sql`${column} ~ '^0x[0-9a-f]{64}$'`;

export const workouts = pgTable(
  "workouts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    owner: text("owner").notNull(),
    source: text("source", { enum: workoutSources }).notNull(),
    contentHash: text("content_hash").notNull(),
    sport: text("sport").notNull(),
    startTime: timestamptz("start_time").notNull(),
    endTime: timestamptz("end_time").notNull(),
    /** Moving (timer) time, pauses excluded. */
    durationSec: integer("duration_sec").notNull(),
    /** Wall time from start to end. */
    elapsedSec: integer("elapsed_sec").notNull(),
    distanceM: doublePrecision("distance_m"),
    avgHeartRate: doublePrecision("avg_heart_rate"),
    verdictStatus: text("verdict_status", { enum: verdictStatuses }).notNull(),
    verdictReasons: jsonb("verdict_reasons").$type<VerdictReason[]>().notNull(),
    provider: text("provider"),
    providerActivityId: text("provider_activity_id"),
    notes: text("notes"),
    createdAt: timestamptz("created_at").notNull(),
    /** Where `sport` comes from (SportOrigin); rows from before migration 0006 are `named` or `unknown`. */
    sportOrigin: text("sport_origin", { enum: sportOrigins }).notNull().default("named"),
    /** Inference and plausibility per sport, for workouts whose file left the sport open; null otherwise. */
    sportDetail: jsonb("sport_detail").$type<SportDetail>(),
  },
  (t) => [
    uniqueIndex("workouts_owner_content_hash_key").on(t.owner, t.contentHash),
    index("workouts_owner_start_time_idx").on(t.owner, t.startTime, t.id),
    // The ingest lookup's overlap test (`end_time > start`): without it, finding the accepted workouts a new one
    // overlaps read every earlier workout of the owner (`start_time < end` alone bounds nothing), O(history).
    index("workouts_owner_end_time_idx").on(t.owner, t.endTime),
    check("workouts_owner_format", lowerAddress(t.owner)),
    check("workouts_content_hash_format", lowerBytes32(t.contentHash)),
    check("workouts_source_valid", sql`${t.source} in ('fit', 'gpx', 'tcx', 'manual', 'provider')`),
    check("workouts_verdict_status_valid", sql`${t.verdictStatus} in ('accepted', 'rejected')`),
    check(
      "workouts_sport_origin_valid",
      sql`${t.sportOrigin} in ('named', 'inferred', 'declared', 'unknown')`,
    ),
    check("workouts_time_order", sql`${t.endTime} >= ${t.startTime}`),
    check("workouts_durations_non_negative", sql`${t.durationSec} >= 0 and ${t.elapsedSec} >= 0`),
  ],
);

export const rulesDocuments = pgTable(
  "rules_documents",
  {
    rulesHash: text("rules_hash").primaryKey(),
    canonicalJson: text("canonical_json").notNull(),
    createdAt: timestamptz("created_at").notNull(),
  },
  (t) => [check("rules_documents_rules_hash_format", lowerBytes32(t.rulesHash))],
);

/** The indexer's view of the vault's commitments (the chain is the source of truth). */
export const commitmentsCache = pgTable(
  "commitments_cache",
  {
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    vault: text("vault").notNull(),
    commitmentId: uint256("commitment_id").notNull(),
    owner: text("owner").notNull(),
    token: text("token").notNull(),
    amount: uint256("amount").notNull(),
    /** Unix seconds. */
    start: bigint("start", { mode: "number" }).notNull(),
    /** Seconds. */
    period: bigint("period", { mode: "number" }).notNull(),
    milestones: integer("milestones").notNull(),
    /** Seconds. */
    grace: bigint("grace", { mode: "number" }).notNull(),
    beneficiary: text("beneficiary").notNull(),
    rulesHash: text("rules_hash").notNull(),
    closed: boolean("closed").notNull(),
    /** `milestoneStates[i]` is the state of milestone `i`. */
    milestoneStates: jsonb("milestone_states").$type<MilestoneState[]>().notNull(),
    /** Milestones the owner appealed (`appealOf` with a non-zero `appealedAt`), by index. */
    appeals: jsonb("appeals").$type<MilestoneAppeal[]>().notNull().default([]),
    updatedBlock: bigint("updated_block", { mode: "number" }).notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "commitments_cache_pkey", columns: [t.chainId, t.vault, t.commitmentId] }),
    index("commitments_cache_owner_idx").on(t.chainId, t.vault, t.owner),
    check("commitments_cache_vault_format", lowerAddress(t.vault)),
    check("commitments_cache_owner_format", lowerAddress(t.owner)),
    check("commitments_cache_token_format", lowerAddress(t.token)),
    check("commitments_cache_beneficiary_format", lowerAddress(t.beneficiary)),
    check("commitments_cache_rules_hash_format", lowerBytes32(t.rulesHash)),
    check("commitments_cache_milestones_range", sql`${t.milestones} between 1 and 104`),
  ],
);

export const attestations = pgTable(
  "attestations",
  {
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    vault: text("vault").notNull(),
    commitmentId: uint256("commitment_id").notNull(),
    milestoneIndex: integer("milestone_index").notNull(),
    signer: text("signer").notNull(),
    evidenceHash: text("evidence_hash").notNull(),
    /** Unix seconds (the signed `uint64 validUntil`). */
    validUntil: bigint("valid_until", { mode: "number" }).notNull(),
    signature: text("signature").notNull(),
    createdAt: timestamptz("created_at").notNull(),
  },
  (t) => [
    primaryKey({
      name: "attestations_pkey",
      columns: [t.chainId, t.vault, t.commitmentId, t.milestoneIndex, t.signer],
    }),
    check("attestations_vault_format", lowerAddress(t.vault)),
    check("attestations_signer_format", lowerAddress(t.signer)),
    check("attestations_evidence_hash_format", lowerBytes32(t.evidenceHash)),
    check("attestations_signature_format", sql`${t.signature} ~ '^0x([0-9a-f]{2})+$'`),
  ],
);

export const indexerCursor = pgTable(
  "indexer_cursor",
  {
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    vault: text("vault").notNull(),
    blockNumber: bigint("block_number", { mode: "number" }).notNull(),
    blockHash: text("block_hash").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "indexer_cursor_pkey", columns: [t.chainId, t.vault] }),
    check("indexer_cursor_vault_format", lowerAddress(t.vault)),
    check("indexer_cursor_block_hash_format", lowerBytes32(t.blockHash)),
  ],
);

/** Append-only: a trigger (migration 0001) rejects UPDATE, DELETE and TRUNCATE. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamptz("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    subject: text("subject"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("audit_log_subject_id_idx").on(t.subject, t.id)],
);

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    owner: text("owner").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: idempotencyStates }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body").$type<unknown>(),
    createdAt: timestamptz("created_at").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "idempotency_keys_pkey", columns: [t.owner, t.key] }),
    index("idempotency_keys_expires_at_idx").on(t.expiresAt),
    check("idempotency_keys_state_valid", sql`${t.state} in ('pending', 'completed')`),
  ],
);

/** SIWE sessions, used when Redis is not configured. `id` should be a hash of the cookie token. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    address: text("address").notNull(),
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    createdAt: timestamptz("created_at").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
  },
  (t) => [
    index("sessions_expires_at_idx").on(t.expiresAt),
    check("sessions_address_format", lowerAddress(t.address)),
  ],
);

/** SIWE nonces, single use, used when Redis is not configured. */
export const siweNonces = pgTable(
  "siwe_nonces",
  {
    nonce: text("nonce").primaryKey(),
    createdAt: timestamptz("created_at").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
  },
  (t) => [index("siwe_nonces_expires_at_idx").on(t.expiresAt)],
);

/** Single-flight locks for the keeper and the relayer when Redis is not configured. */
export const locks = pgTable("locks", {
  name: text("name").primaryKey(),
  owner: text("owner").notNull(),
  acquiredAt: timestamptz("acquired_at").notNull(),
  expiresAt: timestamptz("expires_at").notNull(),
});

/** `settle`: the keeper's `settleParticipant` on a ChallengePool (vault = the pool, milestone index 0). */
export const chainTransactionKinds = ["claim", "slash", "settle"] as const;
export type ChainTransactionKind = (typeof chainTransactionKinds)[number];

/** `pending`: sent, not yet mined; `confirmed`/`reverted`: mined; `failed`: never mined (given up, see last_error). */
export const chainTransactionStatuses = ["pending", "confirmed", "reverted", "failed"] as const;
export type ChainTransactionStatus = (typeof chainTransactionStatuses)[number];

/**
 * Transactions the relayer (claims) and the keeper (slashes) send, one row per milestone they settle (a keeper
 * batch gives several rows the same `tx_hash`). `(chain_id, vault, kind, commitment_id, milestone_index)` is
 * unique, so a milestone is never submitted twice across restarts or replicas: a sender inserts the row first
 * (under a lock) and only then signs.
 */
export const chainTransactions = pgTable(
  "chain_transactions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    vault: text("vault").notNull(),
    kind: text("kind", { enum: chainTransactionKinds }).notNull(),
    commitmentId: uint256("commitment_id").notNull(),
    milestoneIndex: integer("milestone_index").notNull(),
    fromAddress: text("from_address").notNull(),
    nonce: bigint("nonce", { mode: "number" }),
    txHash: text("tx_hash"),
    status: text("status", { enum: chainTransactionStatuses }).notNull(),
    /** Times the transaction was (re)sent, gas bumps included. */
    attempts: integer("attempts").notNull(),
    lastError: text("last_error"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamptz("created_at").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("chain_transactions_milestone_key").on(
      t.chainId,
      t.vault,
      t.kind,
      t.commitmentId,
      t.milestoneIndex,
    ),
    index("chain_transactions_status_idx").on(t.status, t.updatedAt),
    index("chain_transactions_tx_hash_idx").on(t.txHash),
    check("chain_transactions_vault_format", lowerAddress(t.vault)),
    check("chain_transactions_from_format", lowerAddress(t.fromAddress)),
    check("chain_transactions_kind_valid", sql`${t.kind} in ('claim', 'slash', 'settle')`),
    check(
      "chain_transactions_status_valid",
      sql`${t.status} in ('pending', 'confirmed', 'reverted', 'failed')`,
    ),
    check("chain_transactions_tx_hash_format", sql`${t.txHash} is null or ${t.txHash} ~ '^0x[0-9a-f]{64}$'`),
  ],
);

/**
 * A person's link to a workout provider (Strava-style OAuth). Tokens never leave the server: no API returns
 * them. `(provider, athlete_id)` and `(provider, owner)` are unique: one athlete per wallet and provider.
 */
export const providerAccounts = pgTable(
  "provider_accounts",
  {
    provider: text("provider").notNull(),
    athleteId: text("athlete_id").notNull(),
    owner: text("owner").notNull(),
    accessToken: text("access_token").notNull(),
    refreshToken: text("refresh_token").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
    scope: text("scope"),
    /** Start time of the newest activity reconciliation has seen. */
    syncedUntil: timestamptz("synced_until"),
    revokedAt: timestamptz("revoked_at"),
    createdAt: timestamptz("created_at").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "provider_accounts_pkey", columns: [t.provider, t.athleteId] }),
    uniqueIndex("provider_accounts_owner_key").on(t.provider, t.owner),
    check("provider_accounts_owner_format", lowerAddress(t.owner)),
  ],
);

/** Single-use OAuth `state` values binding a provider authorisation to the signed-in wallet (CSRF). */
export const providerOauthStates = pgTable(
  "provider_oauth_states",
  {
    state: text("state").primaryKey(),
    provider: text("provider").notNull(),
    owner: text("owner").notNull(),
    createdAt: timestamptz("created_at").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
  },
  (t) => [
    index("provider_oauth_states_expires_at_idx").on(t.expiresAt),
    check("provider_oauth_states_owner_format", lowerAddress(t.owner)),
  ],
);

/** Channels a nudge can go out on (one file per channel under `src/coach/channels/`). */
export const nudgeChannels = ["inApp", "email", "webhook"] as const;
export type NudgeChannelKind = (typeof nudgeChannels)[number];

/**
 * `scheduled`: a reminder waiting for `due_at`; `pending`: being delivered; `delivered`; `failed`: given up
 * after the channel's retries (see `last_error`).
 */
export const nudgeStatuses = ["scheduled", "pending", "delivered", "failed"] as const;
export type NudgeStatus = (typeof nudgeStatuses)[number];

/** A person's coaching preferences (`PUT /api/preferences`). No row means the defaults. */
export const coachPreferences = pgTable(
  "coach_preferences",
  {
    owner: text("owner").primaryKey(),
    /** IANA time zone; null means the time zone of the commitment's rules (else UTC). */
    timezone: text("timezone"),
    /** Minutes after local midnight; quiet from start (inclusive) to end (exclusive), may wrap midnight. */
    quietStartMin: integer("quiet_start_min").notNull(),
    quietEndMin: integer("quiet_end_min").notNull(),
    channels: jsonb("channels").$type<NudgeChannelKind[]>().notNull(),
    dailyCap: integer("daily_cap").notNull(),
    email: text("email"),
    webhookUrl: text("webhook_url"),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    check("coach_preferences_owner_format", lowerAddress(t.owner)),
    check(
      "coach_preferences_quiet_range",
      sql`${t.quietStartMin} between 0 and 1439 and ${t.quietEndMin} between 0 and 1439`,
    ),
    check("coach_preferences_daily_cap_range", sql`${t.dailyCap} between 0 and 50`),
  ],
);

/** A person's calendar (iCalendar text), uploaded or fetched from an https URL. */
export const coachCalendars = pgTable(
  "coach_calendars",
  {
    owner: text("owner").primaryKey(),
    /** Null for an upload. */
    url: text("url"),
    ics: text("ics").notNull(),
    fetchedAt: timestamptz("fetched_at").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [check("coach_calendars_owner_format", lowerAddress(t.owner))],
);

/**
 * Nudges: every delivery attempt of an intervention or reminder, with its state. `(owner, channel,
 * dedupe_key)` is unique, so the same intervention is never sent twice on a channel (across replicas too).
 */
export const nudges = pgTable(
  "nudges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    owner: text("owner").notNull(),
    channel: text("channel", { enum: nudgeChannels }).notNull(),
    /** What the intervention is (commitment, milestone, stage), shared by its channels. */
    dedupeKey: text("dedupe_key").notNull(),
    /** Why it was sent (`behind_pace`, `reminder`, ...). */
    reason: text("reason").notNull(),
    message: text("message").notNull(),
    status: text("status", { enum: nudgeStatuses }).notNull(),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error"),
    /** When a scheduled reminder is due; for other nudges, when it was created. */
    dueAt: timestamptz("due_at").notNull(),
    deliveredAt: timestamptz("delivered_at"),
    createdAt: timestamptz("created_at").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("nudges_owner_channel_dedupe_key").on(t.owner, t.channel, t.dedupeKey),
    index("nudges_owner_due_at_idx").on(t.owner, t.dueAt, t.id),
    index("nudges_status_due_at_idx").on(t.status, t.dueAt),
    check("nudges_owner_format", lowerAddress(t.owner)),
    check("nudges_channel_valid", sql`${t.channel} in ('inApp', 'email', 'webhook')`),
    check("nudges_status_valid", sql`${t.status} in ('scheduled', 'pending', 'delivered', 'failed')`),
  ],
);

/** The coach's conversations: the last messages of each, bounded (see `conversationsRepository.ts`). */
export const coachConversations = pgTable(
  "coach_conversations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    owner: text("owner").notNull(),
    messages: jsonb("messages").$type<{ role: "user" | "assistant"; content: string }[]>().notNull(),
    createdAt: timestamptz("created_at").notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    index("coach_conversations_owner_updated_at_idx").on(t.owner, t.updatedAt),
    check("coach_conversations_owner_format", lowerAddress(t.owner)),
  ],
);

/**
 * Evidence that counts once, whoever brings it (migration 0004): one row per claim key — `content:<hash>` for a
 * device file's content hash, `<provider>:<activity id>` for a provider activity. The first upload inserts the
 * row; a later one by another owner finds it taken (`duplicate`). The primary key makes it race-safe: two
 * concurrent uploads of the same content cannot both claim it.
 */
export const evidenceClaims = pgTable(
  "evidence_claims",
  {
    claimKey: text("claim_key").primaryKey(),
    owner: text("owner").notNull(),
    createdAt: timestamptz("created_at").notNull(),
  },
  (t) => [check("evidence_claims_owner_format", lowerAddress(t.owner))],
);

/**
 * A stored workout's track, reduced to its fingerprint (workouts/trackFingerprint.ts): the vertices of the
 * track resampled every few tens of metres, in metres from the first one, with their relative times (base64 of
 * little-endian float32 x, y, t triples). Read back only to verify candidates found through `track_segment_hashes`.
 */
export const trackFingerprints = pgTable("track_fingerprints", {
  workoutId: uuid("workout_id").primaryKey(),
  vertexCount: integer("vertex_count").notNull(),
  vertices: text("vertices").notNull(),
  createdAt: timestamptz("created_at").notNull(),
});

/**
 * Locality-sensitive hashes of a track's normalised segments (one row per indexed window and quantisation
 * probe): the index a replay lookup hits. `position` is the window's first vertex.
 */
export const trackSegmentHashes = pgTable(
  "track_segment_hashes",
  {
    hash: bigint("hash", { mode: "number" }).notNull(),
    workoutId: uuid("workout_id").notNull(),
    position: integer("position").notNull(),
  },
  (t) => [
    index("track_segment_hashes_hash_idx").on(t.hash),
    index("track_segment_hashes_workout_idx").on(t.workoutId),
  ],
);

export const reviewStatuses = ["pending", "accepted", "rejected"] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

/** A person's request that an operator look at a rejected workout, and the operator's decision (one per workout). */
export const workoutReviews = pgTable(
  "workout_reviews",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workoutId: uuid("workout_id").notNull(),
    owner: text("owner").notNull(),
    note: text("note").notNull(),
    status: text("status", { enum: reviewStatuses }).notNull(),
    requestedAt: timestamptz("requested_at").notNull(),
    decidedBy: text("decided_by"),
    decisionNote: text("decision_note"),
    decidedAt: timestamptz("decided_at"),
  },
  (t) => [
    uniqueIndex("workout_reviews_workout_key").on(t.workoutId),
    index("workout_reviews_status_requested_at_idx").on(t.status, t.requestedAt, t.id),
    check("workout_reviews_owner_format", lowerAddress(t.owner)),
    check("workout_reviews_status_valid", sql`${t.status} in ('pending', 'accepted', 'rejected')`),
  ],
);

/** What a participant of a challenge is at the pool (`statusOf`), lower-case. */
export const challengeParticipantStatuses = ["joined", "out", "finished", "claimed"] as const;
export type ChallengeParticipantStatus = (typeof challengeParticipantStatuses)[number];

/**
 * Challenges of a ChallengePool, read with `challenge(id)` at `updated_block` by the challenge indexer (the
 * chain is the source of truth: every row can be read again after a reorg).
 */
export const challengesCache = pgTable(
  "challenges_cache",
  {
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    pool: text("pool").notNull(),
    challengeId: uint256("challenge_id").notNull(),
    creator: text("creator").notNull(),
    token: text("token").notNull(),
    stake: uint256("stake").notNull(),
    /** Unix seconds. */
    start: bigint("start", { mode: "number" }).notNull(),
    period: bigint("period", { mode: "number" }).notNull(),
    milestones: integer("milestones").notNull(),
    grace: bigint("grace", { mode: "number" }).notNull(),
    rulesHash: text("rules_hash").notNull(),
    /** Unix seconds. */
    joinDeadline: bigint("join_deadline", { mode: "number" }).notNull(),
    maxParticipants: integer("max_participants").notNull(),
    feeBps: integer("fee_bps").notNull(),
    feeRecipient: text("fee_recipient").notNull(),
    fallbackBeneficiary: text("fallback_beneficiary").notNull(),
    participants: integer("participants").notNull(),
    settled: integer("settled").notNull(),
    finishers: integer("finishers").notNull(),
    pot: uint256("pot").notNull(),
    updatedBlock: bigint("updated_block", { mode: "number" }).notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ name: "challenges_cache_pkey", columns: [t.chainId, t.pool, t.challengeId] }),
    index("challenges_cache_updated_idx").on(t.chainId, t.pool, t.updatedBlock),
    check("challenges_cache_pool_format", lowerAddress(t.pool)),
    check("challenges_cache_token_format", lowerAddress(t.token)),
    check("challenges_cache_creator_format", lowerAddress(t.creator)),
    check("challenges_cache_rules_hash_format", lowerBytes32(t.rulesHash)),
  ],
);

/** Participants of a challenge: `commitmentOf`, `statusOf` and `winningsOf`, read at `updated_block`. */
export const challengeParticipantsCache = pgTable(
  "challenge_participants_cache",
  {
    chainId: bigint("chain_id", { mode: "number" }).notNull(),
    pool: text("pool").notNull(),
    challengeId: uint256("challenge_id").notNull(),
    participant: text("participant").notNull(),
    commitmentId: uint256("commitment_id").notNull(),
    status: text("status", { enum: challengeParticipantStatuses }).notNull(),
    winnings: uint256("winnings").notNull(),
    updatedBlock: bigint("updated_block", { mode: "number" }).notNull(),
    updatedAt: timestamptz("updated_at").notNull(),
  },
  (t) => [
    primaryKey({
      name: "challenge_participants_cache_pkey",
      columns: [t.chainId, t.pool, t.challengeId, t.participant],
    }),
    index("challenge_participants_cache_participant_idx").on(t.chainId, t.pool, t.participant),
    index("challenge_participants_cache_updated_idx").on(t.chainId, t.pool, t.updatedBlock),
    check("challenge_participants_cache_pool_format", lowerAddress(t.pool)),
    check("challenge_participants_cache_participant_format", lowerAddress(t.participant)),
    check(
      "challenge_participants_cache_status_valid",
      sql`${t.status} in ('joined', 'out', 'finished', 'claimed')`,
    ),
  ],
);
