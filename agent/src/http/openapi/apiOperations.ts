/**
 * Every operation of the public API, with the zod schemas its router parses requests with (imported from the
 * routers, so the document cannot drift from what is enforced) and the shapes of its answers. `apiDocument.ts`
 * turns this list into OpenAPI 3.1; `test/http/openapi.test.ts` fails when a mounted route is missing here and
 * validates real answers against the response schemas.
 *
 * Response schemas are loose objects (`z.looseObject`): they pin the fields a client relies on and allow more,
 * so adding a field is not a breaking change.
 */
import { z } from "zod";
import { verifyBody } from "../../auth/authRouter.ts";
import { calendarJsonBody, nudgesQuery, preferencesBody } from "../../coach/http/coachRouter.ts";
import { callbackQuery } from "../../providers/strava/stravaRouter.ts";
import {
  stravaWebhookEventSchema,
  stravaWebhookHandshakeSchema,
} from "../../providers/strava/stravaSchemas.ts";
import {
  detailQuery as challengeDetailQuery,
  idParams as challengeIdParams,
  listQuery as challengeListQuery,
} from "../challengesRouter.ts";
import {
  attestationBody,
  claimBody,
  idParams as commitmentIdParams,
  milestoneParams,
} from "../commitmentsRouter.ts";
import { healthQuery } from "../healthRouter.ts";
import {
  decisionBody,
  idParams as reviewIdParams,
  listQuery as reviewListQuery,
  requestBody as reviewRequestBody,
} from "../reviewRouter.ts";
import { hashParams, rulesRequest } from "../rulesRouter.ts";
import {
  declareSportBody,
  listQuery as workoutListQuery,
  uploadFields,
  workoutParams,
} from "../workoutsRouter.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface ApiResponse {
  description: string;
  /** JSON body; absent for 204 and redirects. */
  schema?: z.ZodType;
  /** Media type when not application/json (e.g. text/html). */
  contentType?: string;
}

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI path (`{id}` for a parameter). */
  path: string;
  tag: string;
  summary: string;
  /** Needs the session cookie (`POST /api/auth/verify`). */
  session?: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** multipart/form-data upload: the text fields (the files go in `files`). */
  multipart?: z.ZodType;
  responses: Record<string, ApiResponse>;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const isoTime = z.string().min(1);
const cursor = z.string().nullable();

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    field: z.string().optional(),
    requestId: z.string().optional(),
    traceId: z.string().optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem document (application/problem+json)." });

const workoutSchema = z
  .looseObject({
    id: z.string(),
    source: z.string(),
    contentHash: z.string(),
    sport: z.string(),
    startTime: isoTime,
    durationSec: z.number(),
    elapsedSec: z.number(),
    distanceM: z.number().nullable(),
    avgHeartRate: z.number().nullable(),
    verdict: z.looseObject({
      status: z.enum(["accepted", "rejected"]),
      reasons: z.array(z.looseObject({ code: z.string(), message: z.string() })),
      countsFor: z.array(z.looseObject({})),
      notCounted: z.array(z.looseObject({})),
      sport: z.looseObject({ origin: z.string() }),
    }),
  })
  .meta({ id: "Workout" });

const reviewSchema = z
  .looseObject({ id: z.string(), workoutId: z.string(), status: z.string() })
  .meta({ id: "Review" });

const commitmentSchema = z
  .looseObject({ commitmentId: z.string(), owner: address, milestones: z.array(z.looseObject({})) })
  .meta({ id: "Commitment" });

const challengeSchema = z.looseObject({ challengeId: z.string() }).meta({ id: "Challenge" });

const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema });

/** The answers every operation may give besides its own. */
export const COMMON_RESPONSES: Record<string, ApiResponse> = {
  "400": json("The request is malformed; `field` names what is wrong.", problemSchema),
  "429": json("A rate limit is exhausted; see Retry-After.", problemSchema),
  "503": json("A dependency is down or the request timed out.", problemSchema),
};

const withSession: Record<string, ApiResponse> = {
  "401": json("No valid session (sign in with POST /api/auth/verify).", problemSchema),
};

export const API_OPERATIONS: readonly ApiOperation[] = [
  // Sign-in
  {
    method: "post",
    path: "/api/auth/nonce",
    tag: "auth",
    summary: "A fresh SIWE nonce and the domain, URI and chain id the message must name.",
    responses: {
      "200": json(
        "The nonce.",
        z.looseObject({ nonce: z.string(), domain: z.string(), uri: z.string(), chainId: z.number().int() }),
      ),
    },
  },
  {
    method: "post",
    path: "/api/auth/verify",
    tag: "auth",
    summary: "Sign in with a signed SIWE message (EOA, EIP-1271 or ERC-6492); sets the session cookie.",
    body: verifyBody,
    responses: { "200": json("Signed in.", z.looseObject({ address })), ...withSession },
  },
  {
    method: "post",
    path: "/api/auth/logout",
    tag: "auth",
    summary: "Ends the session.",
    responses: { "204": { description: "Signed out." } },
  },
  {
    method: "get",
    path: "/api/auth/session",
    tag: "auth",
    summary: "The current session, or null when signed out.",
    responses: {
      "200": json(
        "The session.",
        z.looseObject({ address, chainId: z.number().int(), expiresAt: isoTime }).nullable(),
      ),
    },
  },
  // Rules
  {
    method: "post",
    path: "/api/rules",
    tag: "rules",
    summary:
      "Validates, canonicalises (RFC 8785) and hashes a rules document: the rulesHash a commitment stores.",
    body: rulesRequest,
    responses: {
      "200": json(
        "Its hash and canonical form.",
        z.looseObject({ rulesHash: bytes32, canonical: z.string() }),
      ),
      "422": json("The document is not valid.", problemSchema),
    },
  },
  {
    method: "get",
    path: "/api/rules/{hash}",
    tag: "rules",
    summary: "A rules document registered here, by its hash.",
    params: hashParams,
    responses: {
      "200": json("The document.", z.looseObject({ rulesHash: bytes32, rules: z.looseObject({}) })),
      "404": json("Unknown hash (rules_not_found).", problemSchema),
    },
  },
  // Workouts
  {
    method: "post",
    path: "/api/workouts/upload",
    tag: "workouts",
    summary: "Device files (FIT, GPX, TCX; multi-activity), each with a verdict and its reasons.",
    session: true,
    multipart: uploadFields,
    responses: {
      "201": json("The workouts stored.", z.looseObject({ workouts: z.array(workoutSchema) })),
      "413": json("A file is too large.", problemSchema),
      "415": json("Not a FIT, GPX or TCX file.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/workouts",
    tag: "workouts",
    summary: "A manual workout log, with its verdict (Idempotency-Key honoured).",
    session: true,
    body: z.looseObject({}).meta({ description: "A manual workout log (see services/manualWorkoutLog.ts)." }),
    responses: {
      "201": json("The workout stored.", z.looseObject({ workouts: z.array(workoutSchema) })),
      ...withSession,
    },
  },
  {
    method: "get",
    path: "/api/workouts",
    tag: "workouts",
    summary: "Your workouts, newest first, paged.",
    session: true,
    query: workoutListQuery,
    responses: {
      "200": json("A page.", z.looseObject({ workouts: z.array(workoutSchema), nextCursor: cursor })),
      ...withSession,
    },
  },
  {
    method: "patch",
    path: "/api/workouts/{id}",
    tag: "workouts",
    summary: "Declares the sport of a workout whose file left it open.",
    session: true,
    params: workoutParams,
    body: declareSportBody,
    responses: {
      "200": json("The workout.", z.looseObject({ workout: workoutSchema })),
      "404": json("No such workout of yours.", problemSchema),
      "409": json("Its sport is not open.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/workouts/{id}/review",
    tag: "review",
    summary: "Asks for a human review of a rejected workout.",
    session: true,
    params: reviewIdParams,
    body: reviewRequestBody,
    responses: {
      "201": json("The review requested.", z.looseObject({ review: reviewSchema })),
      "404": json("No such workout of yours.", problemSchema),
      "409": json("Not rejected, or already asked.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "get",
    path: "/api/review",
    tag: "review",
    summary: "Operators: reviews by status, oldest first, paged.",
    session: true,
    query: reviewListQuery,
    responses: {
      "200": json("A page.", z.looseObject({ reviews: z.array(reviewSchema), nextCursor: cursor })),
      "403": json("Not a review operator.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/review/{id}",
    tag: "review",
    summary: "Operators: accept or reject a pending review.",
    session: true,
    params: reviewIdParams,
    body: decisionBody,
    responses: {
      "200": json("The decided review.", z.looseObject({})),
      "403": json("Not a review operator.", problemSchema),
      "404": json("No such review.", problemSchema),
      "409": json("Already decided.", problemSchema),
      ...withSession,
    },
  },
  // Commitments
  {
    method: "get",
    path: "/api/commitments",
    tag: "commitments",
    summary: "Your commitments: milestones, progress, what counts, totals.",
    session: true,
    responses: {
      "200": json("Your commitments.", z.looseObject({ commitments: z.array(commitmentSchema) })),
      ...withSession,
    },
  },
  {
    method: "get",
    path: "/api/commitments/{id}",
    tag: "commitments",
    summary: "One of your commitments, with each milestone's progress, appeal and exit state.",
    session: true,
    params: commitmentIdParams,
    responses: {
      "200": json("The commitment.", commitmentSchema),
      "403": json("Someone else's (not_owner).", problemSchema),
      "404": json("Unknown commitment.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/commitments/{id}/milestones/{index}/attestation",
    tag: "commitments",
    summary: "The oracle's EIP-712 signature for a met milestone, over the canonical evidence set.",
    session: true,
    params: milestoneParams,
    body: attestationBody,
    responses: {
      "200": json("The attestation.", z.looseObject({ signature: z.string() })),
      "403": json("Someone else's commitment (not_owner).", problemSchema),
      "404": json("Unknown commitment.", problemSchema),
      "409": json(
        "Not met yet (naming what is missing), not open, or past its claim deadline.",
        problemSchema,
      ),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/commitments/{id}/milestones/{index}/claim",
    tag: "commitments",
    summary: "Gasless claim: the agent's relayer submits the claim with the quorum's signatures.",
    session: true,
    params: milestoneParams,
    body: claimBody,
    responses: {
      "202": json("Submitted (or already in flight).", z.looseObject({})),
      "403": json("Someone else's commitment (not_owner).", problemSchema),
      "404": json("Unknown commitment.", problemSchema),
      "409": json("Not claimable now.", problemSchema),
      ...withSession,
    },
  },
  {
    method: "get",
    path: "/api/status",
    tag: "agent",
    summary:
      "Public: the oracle address this agent signs with, its chain and vault, whether it relays claims, which providers it links.",
    responses: {
      "200": json(
        "The agent's status.",
        z.looseObject({
          oracle: address.nullable(),
          chainId: z.number().int(),
          vault: address.nullable(),
          relayer: z.looseObject({ enabled: z.boolean() }),
          providers: z.looseObject({ strava: z.boolean() }),
        }),
      ),
    },
  },
  // Challenges
  {
    method: "get",
    path: "/api/challenges",
    tag: "challenges",
    summary: "Challenge pools (public, paged): parameters, pot, standing counts.",
    query: challengeListQuery,
    responses: {
      "200": json("A page.", z.looseObject({ challenges: z.array(challengeSchema), nextCursor: cursor })),
      "503": json("No challenge pool configured, or a dependency is down.", problemSchema),
    },
  },
  {
    method: "get",
    path: "/api/challenges/{id}",
    tag: "challenges",
    summary: "One challenge: its participants' standing (paged) and your seat when signed in.",
    params: challengeIdParams,
    query: challengeDetailQuery,
    responses: {
      "200": json("The challenge.", challengeSchema),
      "404": json("Unknown challenge.", problemSchema),
    },
  },
  // Coach
  {
    method: "post",
    path: "/api/agent",
    tag: "coach",
    summary: "One turn of the coach's chat (tool-using agent).",
    session: true,
    body: z
      .strictObject({ message: z.string().min(1), conversationId: z.uuid().optional() })
      .meta({ description: "`message` is at most COACH_MAX_MESSAGE_CHARS characters." }),
    responses: { "200": json("The coach's answer.", z.looseObject({})), ...withSession },
  },
  {
    method: "get",
    path: "/api/nudges",
    tag: "coach",
    summary: "Your in-app nudges, newest first, paged.",
    session: true,
    query: nudgesQuery,
    responses: {
      "200": json(
        "A page.",
        z.looseObject({
          nudges: z.array(
            z.looseObject({
              id: z.string(),
              message: z.string(),
              reason: z.string(),
              at: isoTime,
              deliveredAt: isoTime.nullable(),
            }),
          ),
          nextCursor: cursor,
        }),
      ),
      ...withSession,
    },
  },
  {
    method: "get",
    path: "/api/preferences",
    tag: "coach",
    summary: "Your coaching preferences (channels, quiet hours, time zone).",
    session: true,
    responses: {
      "200": json("The preferences.", z.looseObject({ channels: z.array(z.string()) })),
      ...withSession,
    },
  },
  {
    method: "put",
    path: "/api/preferences",
    tag: "coach",
    summary: "Saves your coaching preferences.",
    session: true,
    body: preferencesBody,
    responses: {
      "200": json("The saved preferences.", z.looseObject({ channels: z.array(z.string()) })),
      ...withSession,
    },
  },
  {
    method: "post",
    path: "/api/calendar",
    tag: "coach",
    summary:
      "Your calendar for calendar-aware nudges: an .ics upload (JSON `ics`, or text/calendar) or a feed URL.",
    session: true,
    body: calendarJsonBody,
    responses: {
      "200": json(
        "The calendar stored.",
        z.looseObject({ source: z.enum(["upload", "url"]), events: z.number().int(), fetchedAt: isoTime }),
      ),
      "413": json("The calendar is too large.", problemSchema),
      ...withSession,
    },
  },
  // Strava
  {
    method: "get",
    path: "/api/providers/strava",
    tag: "strava",
    summary: "Whether your Strava account is linked.",
    session: true,
    responses: {
      "200": json(
        "The link.",
        z.looseObject({
          provider: z.literal("strava"),
          linked: z.boolean(),
          athleteId: z.string().nullable(),
          scope: z.string().nullable(),
          revoked: z.boolean(),
          linkedAt: isoTime.nullable(),
          syncedUntil: isoTime.nullable(),
        }),
      ),
      ...withSession,
    },
  },
  {
    method: "delete",
    path: "/api/providers/strava",
    tag: "strava",
    summary: "Unlinks Strava (revokes the token).",
    session: true,
    responses: { "204": { description: "Unlinked." }, ...withSession },
  },
  {
    method: "get",
    path: "/api/providers/strava/connect",
    tag: "strava",
    summary: "The Strava authorisation URL to send the browser to (sets the OAuth state cookie).",
    session: true,
    responses: { "200": json("Where to go.", z.looseObject({ authorizeUrl: z.string() })), ...withSession },
  },
  {
    method: "get",
    path: "/api/providers/strava/callback",
    tag: "strava",
    summary: "Strava's OAuth redirect: stores the link and redirects to the web app.",
    query: callbackQuery,
    responses: { "302": { description: "Back to the web app, with the outcome in the query." } },
  },
  {
    method: "get",
    path: "/api/providers/strava/webhook",
    tag: "strava",
    summary: "Strava's webhook subscription handshake.",
    query: stravaWebhookHandshakeSchema,
    responses: {
      "200": json("The echoed challenge.", z.looseObject({ "hub.challenge": z.string() })),
      "403": json("Wrong verify token.", problemSchema),
    },
  },
  {
    method: "post",
    path: "/api/providers/strava/webhook",
    tag: "strava",
    summary: "Strava's push events (activities created, updated, deleted; deauthorisations).",
    body: stravaWebhookEventSchema,
    responses: { "200": json("Received.", z.looseObject({ received: z.literal(true) })) },
  },
  // This document
  {
    method: "get",
    path: "/api/openapi.json",
    tag: "agent",
    summary: "This document (OpenAPI 3.1).",
    responses: {
      "200": json("The document.", z.looseObject({ openapi: z.string(), paths: z.looseObject({}) })),
    },
  },
  {
    method: "get",
    path: "/api/docs",
    tag: "agent",
    summary: "This document rendered as a page (self-contained HTML).",
    responses: { "200": { description: "The page.", contentType: "text/html" } },
  },
  {
    method: "get",
    path: "/health",
    tag: "agent",
    summary: "Liveness (the deep report is on the internal listener).",
    query: healthQuery,
    responses: {
      "200": json("Alive.", z.looseObject({ status: z.literal("ok") })),
      "503": json("Not ready.", z.looseObject({ status: z.string() })),
    },
  },
];
