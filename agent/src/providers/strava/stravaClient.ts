/**
 * Strava's OAuth and API v3, as the agent uses them: the authorize URL, token exchange and refresh
 * (`POST /oauth/token`), deauthorisation (`POST /oauth/deauthorize`), the athlete (`GET /api/v3/athlete`), one
 * activity (`GET /api/v3/activities/{id}`), the athlete's activities in bounded pages
 * (`GET /api/v3/athlete/activities?after&before&page&per_page`) and an activity's streams
 * (`GET /api/v3/activities/{id}/streams?keys=..&key_by_type=true`).
 *
 * Every call goes through `requestProviderJson` (timeout, size bound, zod validation, retries of 429/5xx/network
 * failures with backoff and full jitter, `Retry-After` honoured). A 429 without `Retry-After` waits for the end
 * of the rate-limit window Strava's `X-RateLimit-*` headers report as exhausted (15-minute windows start at
 * :00, :15, :30, :45; the daily one at midnight UTC) when that is short enough, else fails at once.
 *
 * The base URL is configurable (tests point it at a local fake). Tokens and the client secret travel only in
 * headers and form bodies, never in URLs, and nothing here logs them. This client keeps no tokens: see
 * stravaTokens.ts for the per-account refresh and persistence.
 */
import type { Secret } from "../../config.ts";
import { ValidationError } from "../../errors.ts";
import {
  type ProviderHttpDependencies,
  ProviderResponseError,
  requestProviderJson,
} from "../providerRequest.ts";
import {
  STRAVA_STREAM_KEYS,
  type StravaActivity,
  stravaActivityListSchema,
  stravaActivitySchema,
  stravaAthleteSchema,
  stravaDeauthorizeSchema,
  type StravaStreams,
  stravaStreamsSchema,
  type StravaTokenExchange,
  type StravaTokenRefresh,
  stravaTokenExchangeSchema,
  stravaTokenRefreshSchema,
} from "./stravaSchemas.ts";

export const STRAVA_BASE_URL = "https://www.strava.com";
/** Strava's largest page. */
export const STRAVA_MAX_PER_PAGE = 200;

export interface StravaClientParameters {
  /** `https://www.strava.com`; OAuth lives under `/oauth`, the API under `/api/v3`. */
  baseUrl: string;
  clientId: string;
  clientSecret: Secret<string>;
  http: Omit<ProviderHttpDependencies, "rateLimitWaitMs">;
}

export interface ListStravaActivitiesParameters {
  /** Only activities that started after this time. */
  after?: Date;
  /** Only activities that started before this time. */
  before?: Date;
  /** Items per page, 1..200. */
  perPage: number;
  /** Pages fetched at most (>= 1). */
  maxPages: number;
}

export interface ListStravaActivitiesReturnType {
  activities: StravaActivity[];
  /** False when `maxPages` full pages were read: there may be more. */
  complete: boolean;
}

export interface StravaClient {
  /** Where to send the browser: Strava's consent page, coming back to `redirectUri` with `code` and `state`. */
  authorizeUrl(parameters: { state: string; redirectUri: string; scope: readonly string[] }): string;
  exchangeCode(code: string): Promise<StravaTokenExchange>;
  refreshAccessToken(refreshToken: string): Promise<StravaTokenRefresh>;
  /** Revokes the application's access for the athlete the token belongs to. */
  deauthorize(accessToken: string): Promise<void>;
  getAthlete(accessToken: string): Promise<{ id: number }>;
  getActivity(accessToken: string, activityId: string): Promise<StravaActivity>;
  listActivities(
    accessToken: string,
    parameters: ListStravaActivitiesParameters,
  ): Promise<ListStravaActivitiesReturnType>;
  /** The activity's streams; null when Strava has none for it (404, e.g. a manual activity). */
  getActivityStreams(accessToken: string, activityId: string): Promise<StravaStreams | null>;
}

const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

function pair(value: string | null): [number, number] | undefined {
  if (value === null) return undefined;
  const parts = value.split(",").map((part) => Number(part.trim()));
  const [short, daily] = parts;
  if (parts.length !== 2 || short === undefined || daily === undefined) return undefined;
  if (!Number.isFinite(short) || !Number.isFinite(daily)) return undefined;
  return [short, daily];
}

/**
 * How long Strava's exhausted rate-limit window still runs, from its `X-RateLimit-*` (overall) and
 * `X-ReadRateLimit-*` (read) headers: until midnight UTC when a daily limit is used up, else until the next
 * quarter hour when a 15-minute limit is; undefined when the headers show no exhausted limit.
 */
export function stravaRateLimitWaitMs(headers: Headers, now: number): number | undefined {
  let exhausted: "daily" | "short" | undefined;
  for (const prefix of ["x-ratelimit", "x-readratelimit"]) {
    const limit = pair(headers.get(`${prefix}-limit`));
    const usage = pair(headers.get(`${prefix}-usage`));
    if (limit === undefined || usage === undefined) continue;
    if (usage[1] >= limit[1]) exhausted = "daily";
    else if (usage[0] >= limit[0] && exhausted === undefined) exhausted = "short";
  }
  if (exhausted === undefined) return undefined;
  const window = exhausted === "daily" ? DAY_MS : FIFTEEN_MINUTES_MS;
  return window - (now % window);
}

/** Strava ids are decimal integers; anything else never reaches a URL. */
function activityIdOf(activityId: string): string {
  if (!/^[0-9]{1,20}$/.test(activityId)) {
    throw new ValidationError({
      code: "invalid_activity_id",
      message: "A Strava activity id is a decimal number.",
      details: { field: "activityId" },
    });
  }
  return activityId;
}

export function createStravaClient({
  baseUrl,
  clientId,
  clientSecret,
  http,
}: StravaClientParameters): StravaClient {
  const deps: ProviderHttpDependencies = { ...http, rateLimitWaitMs: stravaRateLimitWaitMs };
  const base = baseUrl.replace(/\/+$/, "");
  const url = (path: string, query: Record<string, string> = {}) => {
    const result = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(query)) result.searchParams.set(key, value);
    return result;
  };
  const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

  return {
    authorizeUrl: ({ state, redirectUri, scope }) =>
      url("/oauth/authorize", {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        approval_prompt: "auto",
        scope: scope.join(","),
        state,
      }).toString(),

    exchangeCode: (code) =>
      requestProviderJson(deps, {
        operation: "strava.exchangeCode",
        method: "POST",
        url: url("/oauth/token"),
        form: {
          client_id: clientId,
          client_secret: clientSecret.reveal(),
          code,
          grant_type: "authorization_code",
        },
        schema: stravaTokenExchangeSchema,
      }),

    refreshAccessToken: (refreshToken) =>
      requestProviderJson(deps, {
        operation: "strava.refreshToken",
        method: "POST",
        url: url("/oauth/token"),
        form: {
          client_id: clientId,
          client_secret: clientSecret.reveal(),
          grant_type: "refresh_token",
          refresh_token: refreshToken,
        },
        schema: stravaTokenRefreshSchema,
      }),

    deauthorize: async (accessToken) => {
      await requestProviderJson(deps, {
        operation: "strava.deauthorize",
        method: "POST",
        url: url("/oauth/deauthorize"),
        form: { access_token: accessToken },
        schema: stravaDeauthorizeSchema,
      });
    },

    getAthlete: (accessToken) =>
      requestProviderJson(deps, {
        operation: "strava.getAthlete",
        method: "GET",
        url: url("/api/v3/athlete"),
        headers: bearer(accessToken),
        schema: stravaAthleteSchema,
      }),

    getActivity: async (accessToken, activityId) =>
      requestProviderJson(deps, {
        operation: "strava.getActivity",
        method: "GET",
        url: url(`/api/v3/activities/${activityIdOf(activityId)}`),
        headers: bearer(accessToken),
        schema: stravaActivitySchema,
      }),

    listActivities: async (accessToken, { after, before, perPage, maxPages }) => {
      const size = Math.min(Math.max(1, Math.floor(perPage)), STRAVA_MAX_PER_PAGE);
      const pages = Math.max(1, Math.floor(maxPages));
      const activities: StravaActivity[] = [];
      for (let page = 1; page <= pages; page += 1) {
        const query: Record<string, string> = { page: String(page), per_page: String(size) };
        if (after !== undefined) query.after = String(Math.floor(after.getTime() / 1000));
        if (before !== undefined) query.before = String(Math.floor(before.getTime() / 1000));
        const items = await requestProviderJson(deps, {
          operation: "strava.listActivities",
          method: "GET",
          url: url("/api/v3/athlete/activities", query),
          headers: bearer(accessToken),
          schema: stravaActivityListSchema,
        });
        activities.push(...items);
        if (items.length < size) return { activities, complete: true };
      }
      return { activities, complete: false };
    },

    getActivityStreams: async (accessToken, activityId) => {
      try {
        return await requestProviderJson(deps, {
          operation: "strava.getActivityStreams",
          method: "GET",
          url: url(`/api/v3/activities/${activityIdOf(activityId)}/streams`, {
            keys: STRAVA_STREAM_KEYS.join(","),
            key_by_type: "true",
          }),
          headers: bearer(accessToken),
          schema: stravaStreamsSchema,
        });
      } catch (error) {
        if (error instanceof ProviderResponseError && error.status === 404) return null;
        throw error;
      }
    },
  };
}
