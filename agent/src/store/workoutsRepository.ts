/**
 * Stored workouts with their verdicts. `(owner, content_hash)` is unique: the verifier detects duplicates
 * first (and does not store them), the database enforces it anyway, and a violation surfaces as
 * ConflictError code `duplicate`.
 */
import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, inArray, lt, or, type Param, type SQL, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { advisoryTransactionLock, builtOnce, columnPlaceholder, firstOrNull } from "./repositoryMethods.ts";
import {
  type SportDetail,
  type SportOrigin,
  sportOrigins,
  type VerdictReason,
  type VerdictStatus,
  type WorkoutSource,
  workoutSources,
  workouts,
} from "./schema.ts";
import {
  KEPT_SHAPE_MAX,
  statementTemplate,
  templatedInsert,
  templatesByShape,
} from "./statementTemplates.ts";
import { timeKeyset } from "./timeKeyset.ts";
import { addressSchema, bytes32Schema, dateSchema, parseInput, toAddress, toHex } from "./values.ts";

export const WORKOUTS_PAGE_DEFAULT = 50;
export const WORKOUTS_PAGE_MAX = 200;

export interface NewWorkout {
  /** A UUID; a random one is made when absent. */
  id?: string;
  owner: string;
  source: WorkoutSource;
  contentHash: string;
  sport: string;
  startTime: Date;
  endTime: Date;
  durationSec: number;
  elapsedSec: number;
  distanceM?: number | null;
  avgHeartRate?: number | null;
  verdict: { status: VerdictStatus; reasons: VerdictReason[] };
  provider?: string | null;
  providerActivityId?: string | null;
  notes?: string | null;
  /** Default `named`. */
  sportOrigin?: SportOrigin;
  sportDetail?: SportDetail | null;
}

export interface WorkoutRecord {
  id: string;
  owner: Address;
  source: WorkoutSource;
  contentHash: Hex;
  sport: string;
  startTime: Date;
  endTime: Date;
  durationSec: number;
  elapsedSec: number;
  distanceM: number | null;
  avgHeartRate: number | null;
  verdict: { status: VerdictStatus; reasons: VerdictReason[] };
  provider: string | null;
  providerActivityId: string | null;
  notes: string | null;
  createdAt: Date;
  sportOrigin: SportOrigin;
  sportDetail: SportDetail | null;
}

export interface DeclareSportParameters {
  /** One of the product's sports (the caller validates it against SPORTS). */
  sport: string;
  /** The detail with `declared` set. */
  sportDetail: SportDetail;
  /** The sport the caller read, so a concurrent change is not overwritten. */
  expectedSport: string;
}

export interface ListWorkoutsParameters {
  /** Page size, clamped to 1..200. Default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface WorkoutsPage {
  /** Newest first (by start time, then id). */
  items: WorkoutRecord[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Most owners `acceptedOverlappingOwners` takes in one call. */
export const OWNERS_LOOKUP_MAX = 1000;

export interface WorkoutsRepository {
  /** Stores one workout. Duplicate content hash for the owner → ConflictError `duplicate`. */
  insert(workout: NewWorkout): Promise<WorkoutRecord>;
  /** Stores several workouts (one multi-activity file) in one transaction: all or none. */
  insertMany(workouts: readonly NewWorkout[]): Promise<WorkoutRecord[]>;
  /** The workout, or null when there is none with this id (any string is accepted). */
  getById(id: string): Promise<WorkoutRecord | null>;
  listByOwner(owner: string, parameters?: ListWorkoutsParameters): Promise<WorkoutsPage>;
  /**
   * Accepted workouts of `owner` whose `[startTime, endTime)` overlaps `[start, end)`, oldest first.
   * Also what counts toward a milestone window. Unbounded on purpose: accepted workouts never overlap each
   * other, so a window holds few of them, and a count must not be silently truncated.
   */
  acceptedOverlapping(owner: string, start: Date, end: Date): Promise<WorkoutRecord[]>;
  /**
   * `acceptedOverlapping` for up to `OWNERS_LOOKUP_MAX` owners in one query, ordered by owner, start and id:
   * how the coach's scheduler reads a page of commitments' workouts at once.
   */
  acceptedOverlappingOwners(owners: readonly string[], start: Date, end: Date): Promise<WorkoutRecord[]>;
  /**
   * Serialises verification per owner until the surrounding transaction ends (a transaction-scoped advisory
   * lock), so "check overlaps, then insert" cannot race with a concurrent upload. Use inside
   * `store.transaction` only: outside one, the lock is released as soon as the statement ends.
   */
  lockOwner(owner: string): Promise<void>;
  /**
   * The owner's stored workouts (accepted or rejected) with any of these content hashes, at most
   * `CONTENT_HASH_LOOKUP_MAX` hashes per call: how a re-upload finds the workout it duplicates.
   */
  findByContentHashes(owner: string, contentHashes: readonly string[]): Promise<WorkoutRecord[]>;
  /**
   * `findByContentHashes` and `acceptedOverlapping` for each of `ranges` in one query (what an ingestion reads
   * before verifying): every workout of `owner` matching either, each once, ordered by start and id. At most
   * `CONTENT_HASH_LOOKUP_MAX` hashes and as many ranges.
   */
  findByContentHashesOrOverlapping(
    owner: string,
    contentHashes: readonly string[],
    ranges: readonly { start: Date; end: Date }[],
  ): Promise<WorkoutRecord[]>;
  /**
   * Sets the sport the owner declared for a workout whose file left it open (`sport_origin` inferred, unknown
   * or declared): origin becomes `declared`. Returns the updated workout, or null when there is no such workout
   * whose sport is still open and still `expectedSport` (the caller re-reads and decides).
   */
  declareSport(id: string, parameters: DeclareSportParameters): Promise<WorkoutRecord | null>;
  /**
   * Replaces the verdict of workout `id` when its status is still `expectedStatus` (a human review's decision);
   * null when there is no such workout or its status changed meanwhile.
   */
  setVerdict(
    id: string,
    parameters: {
      expectedStatus: VerdictStatus;
      verdict: { status: VerdictStatus; reasons: VerdictReason[] };
    },
  ): Promise<WorkoutRecord | null>;
}

export const CONTENT_HASH_LOOKUP_MAX = 1000;

const uuidSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);

const optionalText = (max: number) => z.string().max(max).nullish();

const newWorkoutSchema = z
  .object({
    id: uuidSchema.transform((id) => id.toLowerCase()).optional(),
    owner: addressSchema,
    source: z.enum(workoutSources),
    contentHash: bytes32Schema,
    sport: z.string().min(1).max(64),
    startTime: dateSchema,
    endTime: dateSchema,
    durationSec: z.number().int().min(0).max(2_147_483_647),
    elapsedSec: z.number().int().min(0).max(2_147_483_647),
    distanceM: z.number().min(0).finite().nullish(),
    avgHeartRate: z.number().min(0).finite().nullish(),
    verdict: z.object({
      status: z.enum(["accepted", "rejected"]),
      reasons: z.array(z.object({ code: z.string().min(1).max(64), message: z.string().max(1000) })).max(100),
    }),
    provider: optionalText(64),
    providerActivityId: optionalText(256),
    notes: optionalText(4000),
    sportOrigin: z.enum(sportOrigins).optional(),
    // Stored as JSON (jsonb): the row holds it as JSON gives it back (`undefined` members dropped, NaN as null),
    // what a read returns; one that JSON cannot carry (a bigint, a cycle) is invalid input.
    sportDetail: z
      .custom<SportDetail>((value) => typeof value === "object" && value !== null)
      .transform((value, context) => {
        try {
          return JSON.parse(JSON.stringify(value)) as SportDetail;
        } catch {
          context.addIssue({ code: "custom", message: "must be JSON (no bigint, no cycle)" });
          return z.NEVER;
        }
      })
      .nullish(),
  })
  .refine((workout) => workout.endTime.getTime() >= workout.startTime.getTime(), {
    message: "endTime must not be before startTime",
    path: ["endTime"],
  });

type WorkoutRow = typeof workouts.$inferSelect;

function toRecord(row: WorkoutRow): WorkoutRecord {
  return {
    id: row.id,
    owner: toAddress(row.owner),
    source: row.source,
    contentHash: toHex(row.contentHash),
    sport: row.sport,
    startTime: row.startTime,
    endTime: row.endTime,
    durationSec: row.durationSec,
    elapsedSec: row.elapsedSec,
    distanceM: row.distanceM,
    avgHeartRate: row.avgHeartRate,
    verdict: { status: row.verdictStatus, reasons: row.verdictReasons },
    provider: row.provider,
    providerActivityId: row.providerActivityId,
    notes: row.notes,
    createdAt: row.createdAt,
    sportOrigin: row.sportOrigin,
    sportDetail: row.sportDetail ?? null,
  };
}

const pages = timeKeyset({
  table: workouts,
  field: "startTime",
  order: "desc",
  map: toRecord,
  idSchema: uuidSchema,
});

const overlapSchema = z.object({ owner: addressSchema, start: dateSchema, end: dateSchema });
const ownersOverlapSchema = z.object({
  owners: z.array(addressSchema).max(OWNERS_LOOKUP_MAX),
  start: dateSchema,
  end: dateSchema,
});
const contentHashLookupSchema = z.object({
  owner: addressSchema,
  contentHashes: z.array(bytes32Schema).max(CONTENT_HASH_LOOKUP_MAX),
});
const ingestLookupSchema = contentHashLookupSchema.extend({
  ranges: z.array(z.object({ start: dateSchema, end: dateSchema })).max(CONTENT_HASH_LOOKUP_MAX),
});
const sportDeclarationSchema = z.object({
  sport: z.string().min(1).max(64),
  expectedSport: z.string().min(1).max(64),
  sportDetail: z.custom<SportDetail>((value) => typeof value === "object" && value !== null),
});
const verdictUpdateSchema = z.object({
  expectedStatus: z.enum(["accepted", "rejected"]),
  verdict: z.object({
    status: z.enum(["accepted", "rejected"]),
    reasons: z.array(z.object({ code: z.string().min(1).max(64), message: z.string().max(1000) })).max(100),
  }),
});

/** Accepted workouts of the owners `owned` selects that overlap `[start, end)`. */
function acceptedOverlap(owned: SQL | undefined, range: { start: Date | Param; end: Date | Param }) {
  return and(
    owned,
    eq(workouts.verdictStatus, "accepted"),
    lt(workouts.startTime, range.end),
    gt(workouts.endTime, range.start),
  );
}

/**
 * The ingest lookup by shape (how many hashes, how many ranges): the owner's workouts with one of the hashes, or
 * accepted and overlapping one of the ranges, ordered by start and id.
 */
const ingestLookups = templatesByShape({
  make: (db, shape: { hashes: number; ranges: number }) => {
    const hashes = Array.from({ length: shape.hashes }, (_, index) => sql.placeholder(`hash:${index}`));
    const matches = [
      ...(hashes.length > 0 ? [inArray(workouts.contentHash, hashes)] : []),
      ...Array.from({ length: shape.ranges }, (_, index) =>
        acceptedOverlap(undefined, {
          start: columnPlaceholder(`start:${index}`, workouts.endTime),
          end: columnPlaceholder(`end:${index}`, workouts.startTime),
        }),
      ),
    ];
    return statementTemplate(
      workouts,
      db
        .select()
        .from(workouts)
        .where(and(eq(workouts.owner, columnPlaceholder("owner", workouts.owner)), or(...matches)))
        .orderBy(asc(workouts.startTime), asc(workouts.id)),
    );
  },
  keyOf: (shape) => `${shape.hashes}:${shape.ranges}`,
  keep: (shape) => shape.hashes <= KEPT_SHAPE_MAX && shape.ranges <= KEPT_SHAPE_MAX,
});

export function createWorkoutsRepository(db: DatabaseExecutor, clock: Clock): WorkoutsRepository {
  const insertMany = (input: readonly NewWorkout[]) => insertWorkouts(db, clock, input);
  /** Updates the workout `id` where `where` also holds; the updated record, or null (no such id, or `where` failed). */
  const updateOne = async (
    operation: string,
    id: string,
    set: Partial<typeof workouts.$inferInsert>,
    where: SQL | undefined,
  ) =>
    withDatabaseErrors(operation, async () =>
      firstOrNull(
        await db
          .update(workouts)
          .set(set)
          .where(and(eq(workouts.id, id.toLowerCase()), where))
          .returning(),
        toRecord,
      ),
    );

  const acceptedOverlappingOne = builtOnce(() =>
    db
      .select()
      .from(workouts)
      .where(
        acceptedOverlap(eq(workouts.owner, columnPlaceholder("owner", workouts.owner)), {
          start: columnPlaceholder("start", workouts.endTime),
          end: columnPlaceholder("end", workouts.startTime),
        }),
      )
      .orderBy(asc(workouts.startTime), asc(workouts.id))
      .prepare("workouts_accepted_overlapping"),
  );

  return {
    insert: async (workout) => {
      const [stored] = await insertMany([workout]);
      if (stored === undefined) throw new Error("unreachable: one workout in, none out");
      return stored;
    },

    insertMany,

    getById: async (id) => {
      if (!uuidSchema.safeParse(id).success) return null;
      return withDatabaseErrors("workout lookup", async () =>
        firstOrNull(
          await db.select().from(workouts).where(eq(workouts.id, id.toLowerCase())).limit(1),
          toRecord,
        ),
      );
    },

    listByOwner: async (owner, parameters = {}) => listWorkoutsByOwner(db, owner, parameters),

    acceptedOverlapping: async (owner, start, end) => {
      const range = parseInput(overlapSchema, { owner, start, end }, "overlap query");
      return withDatabaseErrors("workout overlap query", async () =>
        (await acceptedOverlappingOne().execute(range)).map(toRecord),
      );
    },

    acceptedOverlappingOwners: async (owners, start, end) => {
      const range = parseInput(ownersOverlapSchema, { owners, start, end }, "overlap query");
      if (range.owners.length === 0) return [];
      return withDatabaseErrors("workout overlap query", async () => {
        const rows = await db
          .select()
          .from(workouts)
          .where(acceptedOverlap(inArray(workouts.owner, [...new Set(range.owners)]), range))
          .orderBy(asc(workouts.owner), asc(workouts.startTime), asc(workouts.id));
        return rows.map(toRecord);
      });
    },

    findByContentHashes: async (owner, contentHashes) => {
      const query = parseInput(contentHashLookupSchema, { owner, contentHashes }, "content hash lookup");
      if (query.contentHashes.length === 0) return [];
      return withDatabaseErrors("workout content hash lookup", async () => {
        const rows = await db
          .select()
          .from(workouts)
          .where(and(eq(workouts.owner, query.owner), inArray(workouts.contentHash, query.contentHashes)));
        return rows.map(toRecord);
      });
    },

    findByContentHashesOrOverlapping: async (owner, contentHashes, ranges) => {
      const query = parseInput(ingestLookupSchema, { owner, contentHashes, ranges }, "ingest lookup");
      if (query.contentHashes.length === 0 && query.ranges.length === 0) return [];
      const shape = { hashes: query.contentHashes.length, ranges: query.ranges.length };
      const values: Record<string, unknown> = { owner: query.owner };
      for (const [index, hash] of query.contentHashes.entries()) values[`hash:${index}`] = hash;
      for (const [index, range] of query.ranges.entries()) {
        values[`start:${index}`] = range.start;
        values[`end:${index}`] = range.end;
      }
      return withDatabaseErrors("workout ingest lookup", async () =>
        (await ingestLookups(db, shape).run(db, values)).map(toRecord),
      );
    },

    declareSport: async (id, parameters) => {
      if (!uuidSchema.safeParse(id).success) return null;
      const input = parseInput(sportDeclarationSchema, parameters, "sport declaration");
      return updateOne(
        "workout sport declaration",
        id,
        { sport: input.sport, sportOrigin: "declared", sportDetail: input.sportDetail },
        and(
          eq(workouts.sport, input.expectedSport),
          inArray(workouts.sportOrigin, ["inferred", "unknown", "declared"]),
        ),
      );
    },

    setVerdict: async (id, parameters) => {
      if (!uuidSchema.safeParse(id).success) return null;
      const input = parseInput(verdictUpdateSchema, parameters, "verdict");
      return updateOne(
        "workout verdict update",
        id,
        { verdictStatus: input.verdict.status, verdictReasons: input.verdict.reasons },
        eq(workouts.verdictStatus, input.expectedStatus),
      );
    },

    lockOwner: async (owner) =>
      advisoryTransactionLock(
        db,
        `workouts:${parseInput(addressSchema, owner, "owner")}`,
        "workout owner lock",
      ),
  };
}

const newWorkoutsSchema = z.array(newWorkoutSchema).max(1000);

/**
 * `insertWorkouts`' statement, composed once per number of rows. It returns only the ids: every row comes with
 * its own (made here, not by the database's `gen_random_uuid()`, which costs PGlite ~70 µs a row), and the record
 * is the row as sent (`workoutRow`), so the database does not format and send back what the caller already holds.
 */
const insertWorkoutRows = templatedInsert<typeof workouts, { id: string }>(
  workouts,
  (db, rows) =>
    db
      .insert(workouts)
      .values(rows)
      .onConflictDoNothing({ target: [workouts.owner, workouts.contentHash] })
      .returning({ id: workouts.id }),
  { id: workouts.id },
);

/**
 * All the workouts in one statement, all or none: a workout whose owner already has its content hash (stored
 * before, or earlier in `input`) fails the call with a `duplicate` naming that hash. One workout needs no
 * transaction (a statement is atomic); several are inserted in one (a savepoint inside a caller's transaction),
 * so a duplicate leaves none of them stored.
 */
async function insertWorkouts(
  db: DatabaseExecutor,
  clock: Clock,
  input: readonly NewWorkout[],
): Promise<WorkoutRecord[]> {
  const parsed = parseInput(newWorkoutsSchema, input, "workouts");
  if (parsed.length === 0) return [];
  const createdAt = clock.now();
  const newRows = parsed.map((workout) => workoutRow(workout, createdAt));
  const insert = async (executor: DatabaseExecutor) => {
    // ON CONFLICT DO NOTHING skips a row whose owner already holds its hash: its id does not come back.
    const inserted = new Set((await insertWorkoutRows(executor, newRows)).map((row) => row.id));
    return newRows.map((row) => {
      if (!inserted.has(row.id)) {
        throw new ConflictError({
          code: "duplicate",
          message: "This workout was already stored for this owner (same content hash).",
          details: { owner: toAddress(row.owner), contentHash: row.contentHash },
        });
      }
      return toRecord(row);
    });
  };
  return withDatabaseErrors("workout insert", () =>
    parsed.length === 1 ? insert(db) : db.transaction((tx) => insert(tx)),
  );
}

/** A lone UTF-16 surrogate: the drivers send text as UTF-8, which stores each as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` as a text column stores it (what a read gives back). */
function storedText(text: string): string;
function storedText(text: string | null): string | null;
function storedText(text: string | null): string | null {
  return text === null ? null : text.replace(LONE_SURROGATE, "\uFFFD");
}

/** `value` as a number column stores it: `-0` is sent as "0". */
function storedNumber(value: number): number;
function storedNumber(value: number | null): number | null;
function storedNumber(value: number | null): number | null {
  return value === 0 ? 0 : value;
}

/**
 * The row a new workout is stored as, with its id (the given one, else a new random one) and every default
 * filled in: exactly what a read of it gives back (text as UTF-8 stores it, `-0` as 0, dates and the jsonb columns
 * copied, the jsonb ones as JSON stores them: `undefined` members dropped), and nothing shared with the caller.
 */
function workoutRow(workout: z.output<typeof newWorkoutSchema>, createdAt: number): WorkoutRow {
  return {
    id: workout.id ?? randomUUID(),
    owner: workout.owner,
    source: workout.source,
    contentHash: workout.contentHash,
    sport: storedText(workout.sport),
    startTime: new Date(workout.startTime.getTime()),
    endTime: new Date(workout.endTime.getTime()),
    durationSec: storedNumber(workout.durationSec),
    elapsedSec: storedNumber(workout.elapsedSec),
    distanceM: storedNumber(workout.distanceM ?? null),
    avgHeartRate: storedNumber(workout.avgHeartRate ?? null),
    verdictStatus: workout.verdict.status,
    verdictReasons: workout.verdict.reasons.map((reason) => ({ ...reason })),
    provider: storedText(workout.provider ?? null),
    providerActivityId: storedText(workout.providerActivityId ?? null),
    notes: storedText(workout.notes ?? null),
    createdAt: new Date(createdAt),
    sportOrigin: workout.sportOrigin ?? "named",
    // Already a copy, as JSON gives it back (newWorkoutSchema).
    sportDetail: workout.sportDetail ?? null,
  };
}

/** A page of the owner's workouts, newest first, after the opaque `cursor`. */
async function listWorkoutsByOwner(
  db: DatabaseExecutor,
  owner: string,
  parameters: ListWorkoutsParameters,
): Promise<WorkoutsPage> {
  const ownerValue = parseInput(addressSchema, owner, "owner");
  const bounds = { fallback: WORKOUTS_PAGE_DEFAULT, max: WORKOUTS_PAGE_MAX };
  return pages.read(db, eq(workouts.owner, ownerValue), parameters, bounds, "workout list");
}
