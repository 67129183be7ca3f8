/**
 * Workout ingestion, for every way evidence arrives (an uploaded file, a manual log, a provider): verify each
 * activity, store it with its verdict, and say which milestones it counts for.
 *
 * Inside ONE transaction holding the owner's lock (`workouts.lockOwner`), so two uploads of the same person can
 * never both accept overlapping workouts:
 * 1. look up the owner's stored workouts with the same content hashes: a match is a `duplicate`, answered with the
 *    stored workout's id and NOT stored again (the same goes for a hash repeated within the batch);
 * 2. claim each new device activity's content hash (and a provider activity's id) in `evidence_claims`: a key
 *    another owner holds makes the activity a rejected `duplicate` whose answer names nobody (race-safe: the
 *    claim is an insert decided by the table's primary key);
 * 3. read the accepted workouts overlapping each activity, and verify each activity against them and against the
 *    activities accepted earlier in the same batch (`verifyWorkout` for files and provider data,
 *    `verifyManualWorkout` for manual logs);
 *    then look up each track that would be accepted among the fingerprints of every accepted track
 *    (`replayed_track`, trackReplay.ts);
 * 4. store accepted AND rejected workouts with their track fingerprints (rejected ones are history the person
 *    sees), then audit the upload and every verdict.
 * After the commit: `metrics.workoutsVerified` per verdict, and `countsFor` / `notCounted` against the owner's
 * commitments on the configured vault whose rules are known (open milestones only; see countWorkout.ts).
 */
import type { Address } from "viem";
import { TooLargeError } from "../errors.ts";
import type { Repositories } from "../store/repositories.ts";
import { addressSchema, parseInput } from "../store/values.ts";
import type { NewWorkout, WorkoutRecord } from "../store/workoutsRepository.ts";
import { CONTENT_HASH_LOOKUP_MAX } from "../store/workoutsRepository.ts";
import {
  DEFAULT_VERIFY_LIMITS,
  type ExistingWorkout,
  type Verdict,
  type VerifyLimits,
  verifyWorkout,
} from "../workouts/index.ts";
import type { Reason, RejectionCode } from "../workouts/reasons.ts";
import type { Sport } from "../workouts/sport.ts";
import type { VerifiableActivity } from "../workouts/verifyWorkout.ts";
import { loadOwnerCommitments } from "./ownerCommitments.ts";
import type { ServiceContext } from "./serviceContext.ts";
import { findReplay, segmentHashRowsOf, type TrackFingerprintOf, trackFingerprintOf } from "./trackReplay.ts";
import { type ManualActivity, verifyManualWorkout } from "./verifyManualWorkout.ts";
import { workoutAuditEntry } from "./workoutAudit.ts";
import { type PlannedSport, planWorkoutSports } from "./workoutSport.ts";
import { type WorkoutView, workoutViewOf } from "./workoutView.ts";

/** Most activities in one call (a provider back-fill is split by the caller). */
export const INGEST_BATCH_MAX = CONTENT_HASH_LOOKUP_MAX;

export interface IngestContext extends ServiceContext {
  verifyLimits?: Partial<VerifyLimits>;
}

interface IngestCommon {
  /** The person the workouts belong to (the signed-in address, or a provider account's wallet). */
  owner: string;
  /** The provider's name (`strava`), for provider data. */
  provider?: string;
  /** The provider's id of the activity. */
  providerActivityId?: string;
}

/** Device evidence: parsed files (`fit`, `gpx`, `tcx`) or a provider's recorded activity (`provider`). */
export interface IngestDeviceActivities extends IngestCommon {
  source: "fit" | "gpx" | "tcx" | "provider";
  activities: readonly VerifiableActivity[];
  /**
   * The sport the owner says the workout was (upload field `sport`): applied to the activities whose file left
   * the sport open, when the data is plausible for it (see workoutSport.ts for the refusals).
   */
  declaredSport?: Sport | undefined;
}

/** Entered by hand (also a provider's activity flagged as manual): verified without samples. */
export interface IngestManualActivities extends IngestCommon {
  source: "manual";
  activities: readonly ManualActivity[];
}

export type IngestActivitiesParameters = IngestDeviceActivities | IngestManualActivities;

export interface IngestActivitiesReturnType {
  /** One per activity, in the order given; a duplicate carries the id of the workout it duplicates. */
  workouts: WorkoutView[];
  /** How many new workouts were stored. */
  stored: number;
  /** How many activities were duplicates (answered, not stored). */
  duplicates: number;
}

type Slot =
  | { kind: "new"; at: number }
  | { kind: "duplicate"; record: WorkoutRecord }
  | { kind: "repeat"; of: number };

/** 0001-01-01 and 9999-12-31: what both JavaScript and PostgreSQL can hold (absurd dates are rejected anyway). */
const MIN_STORABLE_MS = -62_135_596_800_000;
const MAX_STORABLE_MS = 253_402_300_799_000;
const INT32_MAX = 2_147_483_647;

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(Math.max(value, min), max);
}

function optionalMeasure(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : null;
}

function timesOf(activity: { startTime: number; durationSec: number; elapsedSec?: number }) {
  const start = clamp(activity.startTime, MIN_STORABLE_MS, MAX_STORABLE_MS);
  const elapsedSec = Math.round(clamp(activity.elapsedSec ?? activity.durationSec, 0, INT32_MAX));
  const end = clamp(start + elapsedSec * 1000, start, MAX_STORABLE_MS);
  const durationSec = Math.round(clamp(activity.durationSec, 0, INT32_MAX));
  return { start, end, elapsedSec, durationSec };
}

/** Rejections that leave no usable timeline: no replay lookup for those. */
const TIMELINE_CODES = new Set<string>([
  "corrupt_file",
  "no_timestamps",
  "invalid_timestamps",
  "future_timestamp",
  "not_a_workout",
]);

/** The answer to evidence someone else brought first: it never says who. */
const ALREADY_CLAIMED: Reason<RejectionCode> = {
  code: "duplicate",
  message: "This evidence was already uploaded; it can count only once.",
};

/** `verdict` with `extra` reasons added (each code at most once); any reason rejects. */
function withReasons(verdict: Verdict, extra: readonly Reason<RejectionCode>[]): Verdict {
  const reasons = [...verdict.reasons];
  for (const reason of extra) {
    if (!reasons.some((r) => r.code === reason.code)) reasons.push(reason);
  }
  return { status: reasons.length === 0 ? "accepted" : "rejected", reasons };
}

function firstReason(verdict: { reasons: readonly { code: string }[] }): string {
  return verdict.reasons[0]?.code ?? "none";
}

type IngestedActivity = VerifiableActivity | ManualActivity;

/** What every step of one ingestion reads. */
interface Batch {
  owner: Address;
  parameters: IngestActivitiesParameters;
  /** The activities with their planned sport (files and provider data), in the order given. */
  activities: readonly IngestedActivity[];
  sportPlans: Map<unknown, PlannedSport>;
  limits: VerifyLimits;
  clock: IngestContext["clock"];
}

type IngestTransaction = Parameters<Parameters<IngestContext["store"]["transaction"]>[0]>[0];

export async function ingestActivities(
  context: IngestContext,
  parameters: IngestActivitiesParameters,
): Promise<IngestActivitiesReturnType> {
  const { store, metrics, logger } = context;
  const batch = batchOf(context, parameters);
  const { owner } = batch;
  const { slots, records } =
    store.transactionOnDatabaseThread === undefined
      ? await store.transaction((tx) => ingestInTransaction(tx, batch))
      : // PGlite on its own thread: the whole transaction runs there (same steps; see databaseThreadWork.ts).
        ((await store.transactionOnDatabaseThread("ingest", {
          parameters,
          verifyLimits: context.verifyLimits ?? {},
          now: context.clock.now(),
        } satisfies IngestOnDatabaseThreadInput)) as IngestOutcome);

  for (const verdict of records.map((r) => r.verdict)) {
    metrics.workoutsVerified.inc({ status: verdict.status, reason: firstReason(verdict) });
  }
  const duplicates = slots.length - records.length;
  if (duplicates > 0) metrics.workoutsVerified.inc({ status: "rejected", reason: "duplicate" }, duplicates);

  const commitments = await loadOwnerCommitments({ repositories: store, chain: context.chain, owner });
  const workouts = slots.map((slot) => viewOfSlot(slot, records, commitments));
  logger.info(
    {
      owner,
      source: parameters.source,
      stored: records.length,
      duplicates,
      accepted: records.filter((r) => r.verdict.status === "accepted").length,
    },
    "workouts ingested",
  );
  return { workouts, stored: records.length, duplicates };
}

/** What the ingestion's transaction posts to the database thread: everything `batchOf` needs, as plain data. */
export interface IngestOnDatabaseThreadInput {
  parameters: IngestActivitiesParameters;
  verifyLimits: Partial<VerifyLimits>;
  /** The service clock's reading at the call (verification's "now"). */
  now: number;
}

interface IngestOutcome {
  slots: Slot[];
  records: WorkoutRecord[];
}

/** The ingestion's transaction on the database thread (services/databaseThreadWork.ts): steps 1 to 4 there. */
export function ingestOnDatabaseThread(
  tx: Repositories,
  input: IngestOnDatabaseThreadInput,
): Promise<IngestOutcome> {
  const now = input.now;
  return ingestInTransaction(
    tx,
    batchOf({ verifyLimits: input.verifyLimits, clock: { now: () => now } }, input.parameters),
  );
}

/** Parses the owner, plans the sports a file left open (inferred or declared) and bounds the batch. */
function batchOf(
  context: Pick<IngestContext, "verifyLimits" | "clock">,
  parameters: IngestActivitiesParameters,
): Batch {
  const owner: Address = parseInput(addressSchema, parameters.owner, "owner");
  const limits: VerifyLimits = { ...DEFAULT_VERIFY_LIMITS, ...context.verifyLimits };
  const planned: readonly PlannedSport[] | undefined =
    parameters.source === "manual"
      ? undefined
      : planWorkoutSports({ activities: parameters.activities, declaredSport: parameters.declaredSport });
  const activities: readonly IngestedActivity[] = planned?.map((p) => p.activity) ?? parameters.activities;
  if (activities.length > INGEST_BATCH_MAX) {
    throw new TooLargeError({
      code: "too_many_activities",
      message: `At most ${INGEST_BATCH_MAX} workouts can be ingested at once.`,
      details: { limit: INGEST_BATCH_MAX, seen: activities.length },
    });
  }
  return {
    owner,
    parameters,
    activities,
    sportPlans: new Map<unknown, PlannedSport>(planned?.map((p) => [p.activity, p])),
    limits,
    clock: context.clock,
  };
}

/** Steps 1 to 4 of the module comment, under the owner's lock. */
async function ingestInTransaction(tx: IngestTransaction, batch: Batch): Promise<IngestOutcome> {
  const { owner, activities } = batch;
  await tx.workouts.lockOwner(owner);
  const hashes = new Set(activities.map((a) => a.contentHash.toLowerCase()));
  // One read: the stored workouts with these hashes, and the accepted ones overlapping a credible activity.
  const found = await tx.workouts.findByContentHashesOrOverlapping(
    owner,
    [...hashes],
    activities.flatMap((activity) => credibleRange(batch, activity) ?? []),
  );
  const stored = new Map<string, WorkoutRecord>();
  for (const record of found) {
    if (hashes.has(record.contentHash.toLowerCase())) stored.set(record.contentHash.toLowerCase(), record);
  }
  const accepted = acceptedOverlapping(batch, stored, found);
  const claimKeys = activities
    .filter((activity) => !stored.has(activity.contentHash.toLowerCase()))
    .flatMap((activity) => claimsOf(batch.parameters, activity));
  // A manual log claims nothing (see claimsOf): no call, and no evidence repository made for the transaction.
  const taken = new Set(claimKeys.length > 0 ? await tx.evidence.claim(owner, claimKeys) : []);

  const slots: Slot[] = [];
  const seen = new Map<string, number>();
  const batchAccepted: ExistingWorkout[] = [];
  const toInsert: NewWorkout[] = [];
  /** The track fingerprint of each workout of `toInsert` (same index), stored with it. */
  const fingerprints: (TrackFingerprintOf | undefined)[] = [];
  for (const activity of activities) {
    const hash = activity.contentHash.toLowerCase();
    const existing = stored.get(hash);
    const earlier = seen.get(hash);
    if (existing !== undefined) {
      slots.push({ kind: "duplicate", record: existing });
    } else if (earlier !== undefined) {
      slots.push({ kind: "repeat", of: earlier });
    } else {
      const claimed = claimsOf(batch.parameters, activity).some((key) => taken.has(key));
      const judged = await judge(tx, batch, activity, [...accepted.values(), ...batchAccepted], claimed);
      const workout = newWorkoutOf(batch, activity, judged.verdict);
      if (judged.verdict.status === "accepted") {
        batchAccepted.push({
          contentHash: activity.contentHash,
          startTime: workout.startTime.getTime(),
          endTime: workout.endTime.getTime(),
        });
      }
      toInsert.push(workout);
      fingerprints.push(judged.fingerprint);
      seen.set(hash, toInsert.length - 1);
      slots.push({ kind: "new", at: toInsert.length - 1 });
    }
  }
  const records = await tx.workouts.insertMany(toInsert);
  // Every stored track keeps its fingerprint (the lookup reads accepted workouts only, so a workout accepted
  // later on review becomes findable at once).
  for (const [index, record] of records.entries()) {
    const fingerprint = fingerprints[index];
    if (fingerprint === undefined) continue;
    await tx.evidence.putFingerprint(
      { workoutId: record.id, ...fingerprint.stored },
      segmentHashRowsOf(fingerprint),
    );
  }
  await auditIngest(tx, batch, slots.length, records);
  return { slots, records };
}

/**
 * An activity's time range when its times are credible: only those are looked up for overlaps (the others are
 * rejected anyway, and a "workout" spanning decades must not load a person's whole history).
 */
function credibleRange(
  { limits, clock }: Batch,
  activity: IngestedActivity,
): { start: Date; end: Date } | undefined {
  const { start, end, elapsedSec } = timesOf(activity);
  const credible =
    start >= limits.minValidTime &&
    elapsedSec <= limits.maxElapsedSec &&
    start <= clock.now() + limits.futureSkewSec * 1000;
  return credible ? { start: new Date(start), end: new Date(end) } : undefined;
}

/**
 * The accepted workouts each new activity with credible times overlaps, from the lookup's rows (ordered by start
 * and id), in the order activities and rows come.
 */
function acceptedOverlapping(
  batch: Batch,
  stored: ReadonlyMap<string, WorkoutRecord>,
  found: readonly WorkoutRecord[],
): Map<string, ExistingWorkout> {
  const accepted = new Map<string, ExistingWorkout>();
  for (const activity of batch.activities) {
    const range = credibleRange(batch, activity);
    if (range === undefined || stored.has(activity.contentHash.toLowerCase())) continue;
    for (const record of found) {
      if (
        record.verdict.status !== "accepted" ||
        record.startTime.getTime() >= range.end.getTime() ||
        record.endTime.getTime() <= range.start.getTime()
      ) {
        continue;
      }
      accepted.set(record.id, {
        contentHash: record.contentHash,
        startTime: record.startTime.getTime(),
        endTime: record.endTime.getTime(),
      });
    }
  }
  return accepted;
}

/**
 * Evidence counts once, whoever brings it: every new device activity's content (and the provider's activity id)
 * is claimed for this owner; a key someone else holds makes the activity a `duplicate`. The claims table's
 * primary key decides concurrent uploads; the answer never says who holds the claim.
 * A provider's activity id is claimed whatever its kind (a Strava activity typed in by hand counts once too);
 * a manual log's content is not (two people may honestly log the same "30 min run").
 */
function claimsOf(parameters: IngestActivitiesParameters, activity: IngestedActivity): string[] {
  return [
    ...(parameters.source === "manual" ? [] : [`content:${activity.contentHash.toLowerCase()}`]),
    ...(parameters.provider !== undefined && parameters.providerActivityId !== undefined
      ? [`${parameters.provider}:${parameters.providerActivityId}`]
      : []),
  ];
}

/** Verifies a new activity; a track with a usable timeline is also looked up among every accepted track. */
async function judge(
  tx: IngestTransaction,
  { parameters, clock, limits }: Batch,
  activity: IngestedActivity,
  acceptedExisting: ExistingWorkout[],
  claimed: boolean,
): Promise<{ verdict: Verdict; fingerprint: TrackFingerprintOf | undefined }> {
  const verified =
    parameters.source === "manual"
      ? verifyManualWorkout(activity as ManualActivity, { clock, acceptedExisting, limits })
      : verifyWorkout(activity as VerifiableActivity, { clock, acceptedExisting, limits });
  let verdict = withReasons(verified, claimed ? [ALREADY_CLAIMED] : []);
  // Files parsed on the worker pool come with their fingerprint (computed off the event loop).
  const fingerprint =
    parameters.source === "manual"
      ? undefined
      : parameters.source === "provider"
        ? trackFingerprintOf((activity as VerifiableActivity).samples)
        : fingerprintOf(activity as VerifiableActivity);
  if (fingerprint !== undefined && !verdict.reasons.some((r) => TIMELINE_CODES.has(r.code))) {
    const replay = await findReplay(tx.evidence, fingerprint);
    if (replay.reason !== undefined) verdict = withReasons(verdict, [replay.reason]);
  }
  return { verdict, fingerprint };
}

/** A file's track fingerprint: the one the parse worker computed with the file, or computed now. */
function fingerprintOf(activity: VerifiableActivity): TrackFingerprintOf | undefined {
  return "fingerprint" in activity ? activity.fingerprint : trackFingerprintOf(activity.samples);
}

function newWorkoutOf(
  { owner, parameters, sportPlans }: Batch,
  activity: IngestedActivity,
  verdict: Verdict,
): NewWorkout {
  const times = timesOf(activity);
  return {
    owner,
    source: parameters.source,
    contentHash: activity.contentHash.toLowerCase(),
    sport: activity.sport,
    startTime: new Date(times.start),
    endTime: new Date(times.end),
    durationSec: times.durationSec,
    elapsedSec: times.elapsedSec,
    distanceM: optionalMeasure(activity.distanceM),
    avgHeartRate: optionalMeasure(activity.avgHeartRate),
    verdict: { status: verdict.status, reasons: verdict.reasons.map((r) => ({ ...r })) },
    provider: parameters.provider ?? null,
    providerActivityId: parameters.providerActivityId ?? null,
    notes: "notes" in activity && activity.notes !== undefined ? activity.notes : null,
    sportOrigin: sportPlans.get(activity)?.sportOrigin ?? "named",
    sportDetail: sportPlans.get(activity)?.sportDetail ?? null,
  };
}

/** One audit entry for the upload, one per verdict, in one statement. */
async function auditIngest(
  tx: IngestTransaction,
  { owner, parameters, activities }: Batch,
  answered: number,
  records: readonly WorkoutRecord[],
): Promise<void> {
  await tx.auditLog.appendMany([
    {
      actor: owner,
      action: "workout.upload",
      subject: `owner:${owner}`,
      details: {
        source: parameters.source,
        activities: activities.length,
        stored: records.length,
        duplicates: answered - records.length,
        ...(parameters.provider !== undefined ? { provider: parameters.provider } : {}),
        ...(parameters.providerActivityId !== undefined
          ? { providerActivityId: parameters.providerActivityId }
          : {}),
      },
    },
    ...records.map((record) =>
      workoutAuditEntry(owner, "workout.verdict", record.id, {
        contentHash: record.contentHash,
        status: record.verdict.status,
        reasons: record.verdict.reasons.map((r) => r.code),
      }),
    ),
  ]);
}

function duplicateVerdict(record: WorkoutRecord) {
  return {
    status: "rejected" as const,
    reasons: [
      {
        code: "duplicate",
        message: `This exact workout was already ${record.source === "manual" ? "logged" : "uploaded"} (workout ${record.id}).`,
      },
    ],
  };
}

/** The answer for one activity: its stored workout, or the workout it duplicates with a `duplicate` verdict. */
function viewOfSlot(
  slot: Slot,
  records: readonly WorkoutRecord[],
  commitments: Parameters<typeof workoutViewOf>[0]["commitments"],
): WorkoutView {
  if (slot.kind === "duplicate") {
    return workoutViewOf({
      record: slot.record,
      commitments,
      verdictOverride: duplicateVerdict(slot.record),
    });
  }
  const record = records[slot.kind === "new" ? slot.at : slot.of];
  if (record === undefined) throw new Error("unreachable: every new workout was stored");
  return slot.kind === "new"
    ? workoutViewOf({ record, commitments })
    : workoutViewOf({ record, commitments, verdictOverride: duplicateVerdict(record) });
}
