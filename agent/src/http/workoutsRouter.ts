/**
 * The workout routes, mounted at `/api/workouts` (every route needs a session):
 * - `POST /upload` (multipart field `file`: .fit .gpx .tcx, format detected from the content; optional text field
 *   `sport`, the sport the owner says it was, for activities whose file leaves it open) → `201 { workouts }`;
 *   a file that yields no workout → 422 with the parser's code (`corrupt_file`, `no_timestamps`,
 *   `not_a_workout`), an unknown format → 415 `unsupported_format`, too big → 413 (see uploadFile.ts); with a
 *   parse pool the file is parsed and hashed on a worker thread, and a full pool answers 503 `server_busy`
 *   with `Retry-After` (workouts/workoutParsePool.ts);
 * - `POST /` (a manual log, JSON) → `201 { workouts: [Workout] }`;
 * - `GET /?limit&cursor` → `{ workouts, nextCursor }`, newest first;
 * - `PATCH /:id` `{ sport }` → `200 { workout }`: the owner declares the sport of a workout whose file left it
 *   open (another's or unknown → 404 `workout_not_found`; named by the file → 409 `sport_named_by_file`; not
 *   plausible for the data → 422 `implausible_speed`; see services/workoutSport.ts).
 * Both POSTs honour `Idempotency-Key`. Workouts have PRODUCT.md's shape (see services/workoutView.ts).
 */
import { createHash } from "node:crypto";
import { type Request, Router } from "express";
import { z } from "zod";
import { requireSession, sessionOf } from "../auth/session.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { AgentError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { ingestActivities } from "../services/ingestActivities.ts";
import { listWorkouts } from "../services/listWorkouts.ts";
import { manualActivityOf, manualWorkoutLogSchema } from "../services/manualWorkoutLog.ts";
import type { ChainTarget } from "../services/serviceContext.ts";
import { declareWorkoutSport } from "../services/workoutSport.ts";
import type { Store } from "../store/store.ts";
import { WORKOUTS_PAGE_MAX } from "../store/workoutsRepository.ts";
import { inSpan } from "../telemetry/spans.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  parseWorkoutFile,
  SPORTS,
  type VerifyLimits,
  type WorkoutFileLimits,
} from "../workouts/index.ts";
import { ServiceBusyError, type WorkoutParsePool } from "../workouts/workoutParsePool.ts";
import { RequestTimeoutError } from "./httpErrors.ts";
import { idempotency } from "./idempotency.ts";
import { pageOptionsOf, pageQueryFields, readPage } from "./pageCursor.ts";
import { parseJsonBody, parseParams, parseQuery } from "./parseRequest.ts";
import { badRequestFromIssues } from "./problem.ts";
import { requestSignal } from "./requestTimeout.ts";
import { sendJson } from "./sendJson.ts";
import { UploadBufferPool } from "./uploadBufferPool.ts";
import {
  closeIfBodyUnread,
  type UploadedFile,
  uploadedFieldsOf,
  uploadedFileOf,
  uploadFile,
} from "./uploadFile.ts";

export interface WorkoutsRouterParameters {
  store: Store;
  clock: Clock;
  config: Pick<Config, "http">;
  metrics: Metrics;
  logger: Logger;
  /** The chain and vault whose commitments workouts count toward; undefined when no vault is configured. */
  chain: ChainTarget | undefined;
  /** Parser bounds besides the byte limit (which is `config.http.uploadLimitBytes`). */
  fileLimits?: Partial<Omit<WorkoutFileLimits, "maxBytes">>;
  verifyLimits?: Partial<VerifyLimits>;
  /** How long an Idempotency-Key is remembered, ms. */
  idempotencyTtlMs?: number;
  /** The app's request timeout, ms (`Idempotency-Key`'s lease for a killed holder is longer). */
  requestTimeoutMs?: number;
  /** Worker threads that parse and hash uploads; without it they are parsed on the event loop. */
  parsePool?: WorkoutParsePool;
  /**
   * Reused shared memory the files headed to `parsePool` are received into; default: one slot of the upload
   * limit per file the parse pool can hold. Ignored without a parse pool.
   */
  uploadBufferPool?: UploadBufferPool;
}

export type WorkoutsRouterReturnType = Router;

export const listQuery = z.strictObject({
  ...pageQueryFields(WORKOUTS_PAGE_MAX),
});

/** `PATCH /:id` body, and the upload's optional `sport` field: one of the product's sports. */
export const declareSportBody = z.strictObject({ sport: z.enum(SPORTS) });
export const uploadFields = z.strictObject({ sport: z.enum(SPORTS).optional() });
export const workoutParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The parser's "no workout in this file" errors, naming the `file` field. */
function namingFile(error: unknown): unknown {
  if (!(error instanceof AgentError) || error.details.field !== undefined) return error;
  const Type = error.constructor as new (p: ConstructorParameters<typeof AgentError>[0]) => AgentError;
  return new Type({
    code: error.code,
    message: error.message,
    details: { field: "file", ...error.details },
    cause: error.cause,
  });
}

/** Why an upload's file is no longer read: what aborted the request (a timeout, the client leaving). */
function abandoned(req: Request): Error {
  const reason: unknown = requestSignal(req).reason;
  if (reason instanceof Error) return reason;
  return new RequestTimeoutError({
    code: "request_abandoned",
    message: "The upload's response was closed before its file was read.",
    details: { field: "file" },
  });
}

export function workoutsRouter(parameters: WorkoutsRouterParameters): WorkoutsRouterReturnType {
  const { store, config, logger, parsePool } = parameters;
  const context = {
    store,
    clock: parameters.clock,
    metrics: parameters.metrics,
    logger,
    chain: parameters.chain,
    ...(parameters.verifyLimits !== undefined ? { verifyLimits: parameters.verifyLimits } : {}),
  };
  const fileLimits: WorkoutFileLimits = {
    ...DEFAULT_WORKOUT_FILE_LIMITS,
    ...parameters.fileLimits,
    maxBytes: config.http.uploadLimitBytes,
  };
  const ttl = {
    ...(parameters.idempotencyTtlMs !== undefined ? { ttlMs: parameters.idempotencyTtlMs } : {}),
    ...(parameters.requestTimeoutMs !== undefined ? { requestTimeoutMs: parameters.requestTimeoutMs } : {}),
  };
  const router = Router();
  // Files headed to the workers are received into reused shared memory, one slot per file the pool can hold.
  const bufferPool =
    parsePool === undefined
      ? undefined
      : (parameters.uploadBufferPool ??
        new UploadBufferPool({ slotBytes: config.http.uploadLimitBytes + 1, maxSlots: parsePool.capacity }));
  /**
   * Parses on the pool; a pooled slot stays held until the worker is done with it. A slot the upload no longer
   * holds (its response was closed: timed out, client gone) may be another upload's now: not read.
   */
  const parseOnPool = async (pool: WorkoutParsePool, file: UploadedFile, req: Request) => {
    const release = file.holdForReading();
    if (release === undefined) throw abandoned(req);
    try {
      return await pool.parse(file.bytes, fileLimits, { ownsBuffer: file.ownsBuffer });
    } finally {
      release();
    }
  };

  router.post(
    "/upload",
    requireSession,
    uploadFile({
      maxBytes: config.http.uploadLimitBytes,
      textFields: ["sport"],
      ...(bufferPool !== undefined ? { bufferPool } : {}),
    }),
    idempotency({
      store,
      logger,
      ...ttl,
      fingerprint: (req) => {
        const hash = createHash("sha256").update(uploadedFileOf(req).bytes);
        const { sport } = uploadedFieldsOf(req);
        if (sport !== undefined) hash.update(`\0sport=${String(sport)}`);
        return hash.digest("hex");
      },
    }),
    async (req, res) => {
      const { address } = sessionOf(req);
      const file = uploadedFileOf(req);
      const fields = uploadFields.safeParse(uploadedFieldsOf(req));
      if (!fields.success) throw badRequestFromIssues(fields.error.issues);
      let parsed: ReturnType<typeof parseWorkoutFile>;
      try {
        parsed = await inSpan("workout.parse", { "workout.bytes": file.bytes.length }, async (span) => {
          const activities =
            parsePool === undefined
              ? parseWorkoutFile(file.bytes, fileLimits)
              : await parseOnPool(parsePool, file, req);
          span?.setAttributes({
            "workout.format": activities[0]?.format ?? "none",
            "workout.activities": activities.length,
          });
          return activities;
        });
      } catch (error) {
        if (error instanceof ServiceBusyError) {
          res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
        }
        throw namingFile(error);
      }
      const format = parsed[0]?.format;
      if (format === undefined) {
        throw new ValidationError({
          code: "not_a_workout",
          message: "The file holds no activity.",
          details: { field: "file" },
        });
      }
      // Verification and storage: the verdicts' statuses and first reasons, never the activity itself.
      const result = await inSpan("workout.verify", { "workout.format": format }, async (span) => {
        const ingested = await ingestActivities(context, {
          owner: address,
          source: format,
          activities: parsed,
          declaredSport: fields.data.sport,
        });
        const verdicts = ingested.workouts.map((workout) => workout.verdict);
        span?.setAttributes({
          "workout.accepted": verdicts.filter((verdict) => verdict.status === "accepted").length,
          "workout.rejected": verdicts.filter((verdict) => verdict.status === "rejected").length,
          "workout.reasons": verdicts.flatMap((verdict) => verdict.reasons.map((reason) => reason.code)),
        });
        return ingested;
      });
      sendJson(res.status(201), { workouts: result.workouts });
    },
  );
  router.use("/upload", closeIfBodyUnread);

  router.post("/", requireSession, idempotency({ store, logger, ...ttl }), async (req, res) => {
    const { address } = sessionOf(req);
    const log = parseJsonBody(req, manualWorkoutLogSchema);
    const result = await ingestActivities(context, {
      owner: address,
      source: "manual",
      activities: [manualActivityOf(log)],
    });
    sendJson(res.status(201), { workouts: result.workouts });
  });

  router.get("/", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const query = parseQuery(req, listQuery);
    res.json(
      await readPage(() =>
        listWorkouts(context, {
          owner: address,
          ...pageOptionsOf(query),
        }),
      ),
    );
  });

  router.patch("/:id", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const { id } = parseParams(req, workoutParams);
    const { sport } = parseJsonBody(req, declareSportBody);
    res.json({ workout: await declareWorkoutSport(context, { owner: address, workoutId: id, sport }) });
  });

  return router;
}
