/**
 * The one module that talks to the agent HTTP API. Every call sends the session cookie, parses the response
 * with zod, and fails with a typed error: `ProblemError` (an RFC 9457 answer), `AgentUnreachableError`
 * (network failure or timeout) or `BadResponseError` (an answer that does not match the schema).
 */
import type { z } from "zod";
import { agentUrl } from "../env.ts";
import type { RulesDocument } from "../rules/rulesHash.ts";
import {
  type AgentReply,
  type ApiCommitment,
  type Attestation,
  agentProvidersSchema,
  agentReplySchema,
  attestationSchema,
  calendarSchema,
  commitmentListSchema,
  commitmentSchema,
  declaredWorkoutSchema,
  noContentSchema,
  nonceSchema,
  nudgeListSchema,
  type Problem,
  preferencesSchema,
  problemSchema,
  rulesHashSchema,
  type SavedPreferences,
  type Session,
  type Sport,
  type StravaLink,
  savedPreferencesSchema,
  sessionSchema,
  stravaConnectSchema,
  stravaLinkSchema,
  uploadSchema,
  verifySchema,
  type Workout,
  workoutListSchema,
} from "./schemas.ts";

/** The agent answered with an error (problem+json, or at least an HTTP error status). */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `The agent answered ${status}`);
    this.name = "ProblemError";
    this.status = status;
    this.code = problem.code ?? `http_${status}`;
    this.field = problem.field;
    this.problem = problem;
  }
}

/** The agent could not be reached (down, wrong URL, CORS, timeout). */
export class AgentUnreachableError extends Error {
  constructor(cause: unknown) {
    super("The agent cannot be reached", { cause });
    this.name = "AgentUnreachableError";
  }
}

/** The agent answered something this app does not understand. */
export class BadResponseError extends Error {
  constructor(path: string, cause: unknown) {
    super(`Unexpected answer from the agent for ${path}`, { cause });
    this.name = "BadResponseError";
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  json?: unknown;
  form?: FormData;
  /** A raw text body with its media type (e.g. an iCalendar file as `text/calendar`). */
  text?: { body: string; type: string };
  timeoutMs?: number;
  /**
   * The `Idempotency-Key` of this user action. A mutating request (any method but GET) always carries one:
   * given here (to reuse it across calls of the same action), else a new one per `request` call.
   */
  idempotencyKey?: string;
  /**
   * How often a mutating request is sent again, with the same Idempotency-Key, after a transient failure
   * (agent unreachable or timed out, 502/503/504, 409 `idempotency_key_in_progress`). Default 1, at most 3;
   * 0 for a route whose repetition the agent does not deduplicate and the user would notice (the coach chat).
   */
  retries?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MUTATION_RETRIES = 1;
const MAX_MUTATION_RETRIES = 3;
/** Pause before retry n (1-based): n × this. */
export const RETRY_DELAY_MS = 300;

/** A fresh Idempotency-Key: 128 random bits as hex (crypto.getRandomValues works outside secure contexts too). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function methodOf(options: RequestOptions): NonNullable<RequestOptions["method"]> {
  const hasBody = options.json !== undefined || options.form !== undefined || options.text !== undefined;
  return options.method ?? (hasBody ? "POST" : "GET");
}

/**
 * Sends one request, without retries, to the agent at `baseUrl` (this app's own, or an oracle's: see
 * oracles/oracleClient.ts) with the session cookie, an Idempotency-Key when it mutates and a timeout.
 */
export async function sendTo(baseUrl: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = options.form;
  } else if (options.text !== undefined) {
    headers["content-type"] = options.text.type;
    body = options.text.body;
  }
  const method = methodOf(options);
  if (method !== "GET") headers["idempotency-key"] = options.idempotencyKey ?? newIdempotencyKey();
  try {
    return await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      credentials: "include",
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new AgentUnreachableError(error);
  }
}

function send(path: string, options: RequestOptions): Promise<Response> {
  return sendTo(agentUrl, path, options);
}

/** The `ProblemError` of an error answer (its problem+json body, or just its status). */
export async function errorFrom(res: Response): Promise<ProblemError> {
  let raw: unknown = {};
  try {
    raw = await res.json();
  } catch {
    raw = {};
  }
  const parsed = problemSchema.safeParse(raw);
  return new ProblemError(res.status, parsed.success ? parsed.data : {});
}

const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/**
 * Sends a request; a mutating one keeps one Idempotency-Key for all its attempts, so the agent runs the action
 * once however many of them reach it (a retry of one that succeeded is answered from its record).
 */
async function sendWithRetries(path: string, options: RequestOptions): Promise<Response> {
  if (methodOf(options) === "GET") return send(path, options);
  const keyed = { ...options, idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() };
  const retries = Math.max(0, Math.min(options.retries ?? DEFAULT_MUTATION_RETRIES, MAX_MUTATION_RETRIES));
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retries;
    let res: Response;
    try {
      res = await send(path, keyed);
    } catch (error) {
      if (last) throw error;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * (attempt + 1)));
      continue;
    }
    if (res.ok || last) return res;
    let transient = TRANSIENT_STATUSES.has(res.status);
    if (!transient && res.status === 409) {
      const problem = await errorFrom(res.clone());
      transient = problem.code === "idempotency_key_in_progress";
    }
    if (!transient) return res;
    await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * (attempt + 1)));
  }
}

/** Sends a request and parses a successful JSON answer with `schema`; `null` schema means "no body". */
export async function request<T extends z.ZodType>(
  path: string,
  schema: T,
  options: RequestOptions = {},
): Promise<z.infer<T>> {
  const res = await sendWithRetries(path, options);
  if (!res.ok) throw await errorFrom(res);
  return parseAnswer(res, path, schema);
}

/** A successful answer's JSON body (`{}` for 204) parsed with `schema`; `BadResponseError` when it is not. */
export async function parseAnswer<T extends z.ZodType>(
  res: Response,
  path: string,
  schema: T,
): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    raw = res.status === 204 ? {} : await res.json();
  } catch (error) {
    throw new BadResponseError(path, error);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new BadResponseError(path, parsed.error);
  return parsed.data;
}

// --- Sign-In with Ethereum -------------------------------------------------------------------------------

export function fetchNonce() {
  return request("/api/auth/nonce", nonceSchema, { method: "POST" });
}

export function verifySignIn(message: string, signature: `0x${string}`) {
  // A SIWE nonce is good once: a blind retry could only fail.
  return request("/api/auth/verify", verifySchema, { json: { message, signature }, retries: 0 });
}

export async function signOut(): Promise<void> {
  const res = await send("/api/auth/logout", { method: "POST" });
  if (!res.ok && res.status !== 401) throw await errorFrom(res);
}

/** The current session, or null when signed out (the agent answers `200 null`; an older one, 401). */
export async function fetchSession(): Promise<Session | null> {
  try {
    return await request("/api/auth/session", sessionSchema.nullable());
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return null;
    throw error;
  }
}

// --- Rules -----------------------------------------------------------------------------------------------

export function registerRules(rules: RulesDocument) {
  return request("/api/rules", rulesHashSchema, { json: { rules } });
}

// --- Workouts --------------------------------------------------------------------------------------------

/**
 * Uploads one workout file. `sport`: what the workout was, for a file that names no sport (the agent refuses
 * it with 409 when the file names one, with 422 `implausible_speed` when the data does not fit it).
 */
export async function uploadWorkoutFile(file: File, sport?: Sport): Promise<Workout[]> {
  const form = new FormData();
  form.append("file", file, file.name);
  if (sport !== undefined) form.append("sport", sport);
  const result = await request("/api/workouts/upload", uploadSchema, { form, timeoutMs: 60_000 });
  return result.workouts;
}

/**
 * Declares the sport of a workout whose file left it open; answers the workout as the agent now sees it
 * (`verdict.sport.origin` "declared", where it counts). Refusals arrive as ProblemError naming the field `sport`.
 */
export async function declareWorkoutSport(id: string, sport: Sport): Promise<Workout> {
  const body = await request(`/api/workouts/${encodeURIComponent(id)}`, declaredWorkoutSchema, {
    method: "PATCH",
    json: { sport },
  });
  return body.workout;
}

export interface ManualWorkoutInput {
  sport: Sport;
  startTime: string;
  durationMin: number;
  distanceM?: number;
  notes?: string;
}

export async function logManualWorkout(input: ManualWorkoutInput): Promise<Workout[]> {
  const body = await request("/api/workouts", uploadSchema.or(workoutListSchema), { json: input });
  return body.workouts;
}

export const WORKOUT_PAGE_LIMIT = 100;
export const WORKOUT_MAX_PAGES = 5;

/** The newest workouts, at most WORKOUT_MAX_PAGES pages of WORKOUT_PAGE_LIMIT. */
export async function listWorkouts(): Promise<Workout[]> {
  const all: Workout[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < WORKOUT_MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(WORKOUT_PAGE_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    const body = await request(`/api/workouts?${query}`, workoutListSchema);
    all.push(...body.workouts);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return all;
}

// --- Commitments and claims ------------------------------------------------------------------------------

export async function listCommitments(): Promise<ApiCommitment[]> {
  return (await request("/api/commitments", commitmentListSchema)).commitments;
}

export function getCommitment(id: bigint): Promise<ApiCommitment> {
  return request(`/api/commitments/${id}`, commitmentSchema);
}

/** `options.idempotencyKey`: the claim action's key, to reuse when the user retries the same claim. */
export function fetchAttestation(
  id: bigint,
  index: number,
  options: Pick<RequestOptions, "idempotencyKey" | "retries"> = {},
): Promise<Attestation> {
  return request(`/api/commitments/${id}/milestones/${index}/attestation`, attestationSchema, {
    ...options,
    method: "POST",
  });
}

// --- Coach -----------------------------------------------------------------------------------------------

export function askCoach(message: string, conversationId?: string): Promise<AgentReply> {
  return request("/api/agent", agentReplySchema, {
    json: conversationId === undefined ? { message } : { message, conversationId },
    timeoutMs: 60_000,
    // The agent does not deduplicate chat turns: a retry would ask twice.
    retries: 0,
  });
}

export async function listNudges() {
  return (await request("/api/nudges", nudgeListSchema)).nudges;
}

/** Notification preferences (PRODUCT.md: channels, quiet hours, time zone). */
export interface PreferencesInput {
  timezone: string;
  /** Local times "HH:MM"; no nudge between start and end. */
  quietHours: { start: string; end: string };
  channels: ("inApp" | "email" | "webhook")[];
  email?: string;
  webhookUrl?: string;
}

/** The saved preferences, or the agent's defaults (`saved: false`) when nothing was saved yet. */
export function getPreferences(): Promise<SavedPreferences> {
  return request("/api/preferences", savedPreferencesSchema);
}

export function savePreferences(input: PreferencesInput) {
  return request("/api/preferences", preferencesSchema, { method: "PUT", json: input });
}

/** The agent takes an uploaded calendar as the raw iCalendar text (`text/calendar`). */
export async function uploadCalendarFile(file: File) {
  const body = await file.text();
  return request("/api/calendar", calendarSchema, { text: { body, type: "text/calendar" } });
}

export function linkCalendarUrl(url: string) {
  return request("/api/calendar", calendarSchema, { json: { url } });
}

// --- Strava ----------------------------------------------------------------------------------------------

const STRAVA_PATH = "/api/providers/strava";

/**
 * The Strava link of the signed-in wallet; `null` when this agent has no Strava integration. The public
 * `GET /api/status` says so first, so an agent without Strava is never asked (no 404 in the console); an older
 * agent without `providers` there is asked, and its 404 means the same.
 */
export async function getStravaLink(): Promise<StravaLink | null> {
  const status = await request("/api/status", agentProvidersSchema).catch(() => undefined);
  if (status?.providers?.strava === false) return null;
  try {
    return await request(STRAVA_PATH, stravaLinkSchema);
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) return null;
    throw error;
  }
}

/**
 * Starts Strava's OAuth flow: the agent issues a one-time state (bound to this browser by a cookie) and answers
 * Strava's authorisation URL; the browser goes there, and Strava sends it back through the agent's callback to
 * this app with `?provider=strava&status=connected`.
 */
export async function stravaAuthorizeUrl(): Promise<string> {
  return (await request(`${STRAVA_PATH}/connect`, stravaConnectSchema)).authorizeUrl;
}

/** Unlinks Strava (the agent revokes its access at Strava and forgets the tokens). */
export async function disconnectStrava(): Promise<void> {
  await request(STRAVA_PATH, noContentSchema, { method: "DELETE" });
}
