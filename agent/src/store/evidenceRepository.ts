/**
 * Evidence that cannot be reused (migration 0004):
 * - claims: one row per claim key (`content:<hash>`, `strava:<activity id>`), inserted by the first upload; the
 *   primary key decides races, so of two concurrent uploads of the same content exactly one claims it;
 * - track fingerprints: each stored track's resampled vertices plus the locality-sensitive hashes of its segments
 *   (`track_segment_hashes`, indexed by hash), so a replay lookup is one index scan over the query's hashes,
 *   grouped by workout, restricted to accepted workouts (see docs/oracle-integrity.md).
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { evidenceClaims, trackFingerprints, trackSegmentHashes, workouts } from "./schema.ts";
import { FINGERPRINT } from "../workouts/trackFingerprint.ts";
import { addressSchema, parseInput } from "./values.ts";

/** Most claim keys, segment hashes and fingerprints per call. */
export const CLAIM_KEYS_MAX = 2000;
export const SEGMENT_HASHES_MAX = FINGERPRINT.maxSegmentHashes;
export const FINGERPRINT_CANDIDATES_MAX = 50;
/** Segment hashes inserted per statement (the event loop runs between statements). */
export const SEGMENT_HASHES_PER_STATEMENT = 2_000;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface TrackFingerprintRow {
  workoutId: string;
  vertexCount: number;
  /** base64 of little-endian float32 (x, y, t) triples. */
  vertices: string;
}

export interface SegmentHashRow {
  /** A non-negative integer below 2^53. */
  hash: number;
  position: number;
}

export interface FingerprintCandidate {
  workoutId: string;
  /** Distinct query hashes this workout's segments matched. */
  hits: number;
}

export interface EvidenceRepository {
  /**
   * Claims `keys` for `owner` (insert, conflicts ignored) and returns the keys already held by someone else.
   * Keys `owner` held before count as its own (no conflict).
   */
  claim(owner: string, keys: readonly string[]): Promise<string[]>;
  /** Stores a workout's fingerprint and its segment hashes (replacing any earlier one of that workout). */
  putFingerprint(fingerprint: TrackFingerprintRow, hashes: readonly SegmentHashRow[]): Promise<void>;
  /**
   * Accepted workouts whose segments share at least `minHits` of `hashes`, most hits first, at most `limit`
   * (default and maximum FINGERPRINT_CANDIDATES_MAX). `excludeWorkoutIds` are left out.
   */
  findCandidates(parameters: {
    hashes: readonly number[];
    minHits: number;
    limit?: number;
    excludeWorkoutIds?: readonly string[];
  }): Promise<FingerprintCandidate[]>;
  /** The fingerprints of these workouts (those that have one). */
  getFingerprints(workoutIds: readonly string[]): Promise<TrackFingerprintRow[]>;
}

const claimKeySchema = z
  .string()
  .min(3)
  .max(300)
  .regex(/^[a-z0-9_-]+:[\x21-\x7e]+$/, "must be <kind>:<printable id>");
const uuidSchema = z.uuid();
const hashSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
// Built once: composing a zod schema costs more than parsing with it (these ran on every ingestion).
const claimInputSchema = z.object({
  owner: addressSchema,
  keys: z.array(claimKeySchema).max(CLAIM_KEYS_MAX),
});
const fingerprintInputSchema = z.object({
  fingerprint: z.object({
    workoutId: uuidSchema,
    vertexCount: z.number().int().min(0).max(1_000_000),
    vertices: z.string().max(16_000_000),
  }),
  hashes: z
    .array(z.object({ hash: hashSchema, position: z.number().int().min(0).max(1_000_000) }))
    .max(SEGMENT_HASHES_MAX),
});
const candidatesInputSchema = z.object({
  hashes: z.array(hashSchema).max(SEGMENT_HASHES_MAX),
  minHits: z.number().int().min(1),
  limit: z.number().int().min(1).max(FINGERPRINT_CANDIDATES_MAX).optional(),
  excludeWorkoutIds: z.array(uuidSchema).max(1000).optional(),
});

export function createEvidenceRepository(db: DatabaseExecutor, clock: Clock): EvidenceRepository {
  return {
    claim: async (owner, keys) => {
      const input = parseInput(claimInputSchema, { owner, keys }, "evidence claim");
      const unique = [...new Set(input.keys)];
      if (unique.length === 0) return [];
      return withDatabaseErrors("evidence claim", async () => {
        const createdAt = new Date(clock.now());
        await db
          .insert(evidenceClaims)
          .values(unique.map((claimKey) => ({ claimKey, owner: input.owner, createdAt })))
          .onConflictDoNothing();
        // Read back: a row of another owner means the key was taken (before us, or by a concurrent
        // transaction that committed first: the insert above waited for it).
        const rows = await db
          .select({ claimKey: evidenceClaims.claimKey, owner: evidenceClaims.owner })
          .from(evidenceClaims)
          .where(inArray(evidenceClaims.claimKey, unique));
        return rows.filter((row) => row.owner !== input.owner).map((row) => row.claimKey);
      });
    },

    putFingerprint: async (fingerprint, hashes) => {
      const input = parseInput(fingerprintInputSchema, { fingerprint, hashes }, "track fingerprint");
      const workoutId = input.fingerprint.workoutId.toLowerCase();
      await withDatabaseErrors("track fingerprint insert", async () => {
        await db.delete(trackSegmentHashes).where(eq(trackSegmentHashes.workoutId, workoutId));
        await db
          .insert(trackFingerprints)
          .values({
            workoutId,
            vertexCount: input.fingerprint.vertexCount,
            vertices: input.fingerprint.vertices,
            createdAt: new Date(clock.now()),
          })
          .onConflictDoUpdate({
            target: trackFingerprints.workoutId,
            set: { vertexCount: input.fingerprint.vertexCount, vertices: input.fingerprint.vertices },
          });
        // Each chunk is one statement with three array parameters (not three parameters per row: the query
        // builder's per-parameter work was most of a 20,000-hash insert); between chunks the event loop serves
        // other requests (PGlite runs its WebAssembly on this thread).
        for (let i = 0; i < input.hashes.length; i += SEGMENT_HASHES_PER_STATEMENT) {
          if (i > 0) await yieldToEventLoop();
          const chunk = input.hashes.slice(i, i + SEGMENT_HASHES_PER_STATEMENT);
          await db.execute(
            sql`insert into ${trackSegmentHashes} (hash, workout_id, position)
              select h, ${workoutId}::uuid, p
              from unnest(${sql.param(chunk.map((h) => h.hash))}::bigint[],
                ${sql.param(chunk.map((h) => h.position))}::int[]) as t(h, p)`,
          );
        }
      });
    },

    findCandidates: async (parameters) => {
      const input = parseInput(candidatesInputSchema, parameters, "fingerprint lookup");
      const hashes = [...new Set(input.hashes)];
      if (hashes.length === 0) return [];
      const exclude = (input.excludeWorkoutIds ?? []).map((id) => id.toLowerCase());
      return withDatabaseErrors("fingerprint lookup", async () => {
        const hits = sql<number>`count(distinct ${trackSegmentHashes.hash})::int`;
        const rows = await db
          .select({ workoutId: trackSegmentHashes.workoutId, hits })
          .from(trackSegmentHashes)
          .innerJoin(workouts, eq(workouts.id, trackSegmentHashes.workoutId))
          .where(
            and(
              // One array parameter, not one parameter per hash (up to 20,000).
              sql`${trackSegmentHashes.hash} = any(${sql.param(hashes)}::bigint[])`,
              eq(workouts.verdictStatus, "accepted"),
              exclude.length > 0
                ? sql`${trackSegmentHashes.workoutId} not in (${sql.join(
                    exclude.map((id) => sql`${id}::uuid`),
                    sql`, `,
                  )})`
                : undefined,
            ),
          )
          .groupBy(trackSegmentHashes.workoutId)
          .having(sql`count(distinct ${trackSegmentHashes.hash}) >= ${input.minHits}`)
          .orderBy(desc(hits))
          .limit(input.limit ?? FINGERPRINT_CANDIDATES_MAX);
        return rows.map((row) => ({ workoutId: row.workoutId, hits: Number(row.hits) }));
      });
    },

    getFingerprints: async (workoutIds) => {
      const ids = parseInput(z.array(uuidSchema).max(FINGERPRINT_CANDIDATES_MAX), workoutIds, "workout ids");
      if (ids.length === 0) return [];
      return withDatabaseErrors("fingerprint read", async () => {
        const rows = await db
          .select({
            workoutId: trackFingerprints.workoutId,
            vertexCount: trackFingerprints.vertexCount,
            vertices: trackFingerprints.vertices,
          })
          .from(trackFingerprints)
          .where(
            inArray(
              trackFingerprints.workoutId,
              ids.map((id) => id.toLowerCase()),
            ),
          );
        return rows;
      });
    },
  };
}
