/**
 * zod schemas for what Strava sends us, following its documented API v3 and webhook protocol: OAuth token
 * answers, the athlete, activities (DetailedActivity / SummaryActivity: only the fields we use, the rest is
 * stripped), streams fetched with `key_by_type=true`, and webhook events. Every answer is parsed with these
 * before use; ids are JSON integers (within 2^53) turned into decimal strings by the callers.
 */
import { z } from "zod";

/** Longest stream we accept: a day at one sample per second is 86 400. */
export const MAX_STREAM_POINTS = 200_000;

export const stravaIdSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const unixSecondsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `POST /oauth/token` with `grant_type=authorization_code`: the tokens and the athlete who granted them. */
export const stravaTokenExchangeSchema = z.object({
  token_type: z.string().min(1).max(32),
  expires_at: unixSecondsSchema,
  expires_in: z.number().int().optional(),
  access_token: z.string().min(1).max(1024),
  refresh_token: z.string().min(1).max(1024),
  athlete: z.object({ id: stravaIdSchema }),
});
export type StravaTokenExchange = z.output<typeof stravaTokenExchangeSchema>;

/** `POST /oauth/token` with `grant_type=refresh_token` (no athlete in this answer). */
export const stravaTokenRefreshSchema = stravaTokenExchangeSchema.omit({ athlete: true });
export type StravaTokenRefresh = z.output<typeof stravaTokenRefreshSchema>;

/** `POST /oauth/deauthorize`: echoes the access token that was revoked (we ignore its value). */
export const stravaDeauthorizeSchema = z.object({ access_token: z.string().optional() });

/** `GET /athlete`. */
export const stravaAthleteSchema = z.object({ id: stravaIdSchema });

/** The fields of `GET /activities/{id}` (DetailedActivity) and `GET /athlete/activities` items we use. */
export const stravaActivitySchema = z.object({
  id: stravaIdSchema,
  athlete: z.object({ id: stravaIdSchema }),
  name: z.string().max(1000).optional(),
  /** Metres. */
  distance: z.number().nonnegative().finite(),
  /** Seconds. */
  moving_time: z.number().int().nonnegative(),
  /** Seconds. */
  elapsed_time: z.number().int().nonnegative(),
  /** Deprecated by Strava in favour of sport_type, still sent. */
  type: z.string().max(64).optional(),
  sport_type: z.string().max(64).optional(),
  /** UTC, e.g. 2018-02-16T14:52:54Z. */
  start_date: z.iso.datetime({ offset: true }),
  manual: z.boolean(),
  private: z.boolean().optional(),
  trainer: z.boolean().optional(),
  has_heartrate: z.boolean().optional(),
  average_heartrate: z.number().positive().finite().optional(),
  max_heartrate: z.number().positive().finite().optional(),
  device_name: z.string().max(200).nullish(),
});
export type StravaActivity = z.output<typeof stravaActivitySchema>;

export const stravaActivityListSchema = z.array(stravaActivitySchema).max(200);

const numberStream = z.object({ data: z.array(z.number().finite()).max(MAX_STREAM_POINTS) });

/** `GET /activities/{id}/streams?keys=...&key_by_type=true`: one entry per stream type present. */
export const stravaStreamsSchema = z.object({
  /** Seconds since the activity's start. */
  time: numberStream.optional(),
  latlng: z
    .object({ data: z.array(z.tuple([z.number().finite(), z.number().finite()])).max(MAX_STREAM_POINTS) })
    .optional(),
  /** Metres, cumulative. */
  distance: numberStream.optional(),
  /** Metres. */
  altitude: numberStream.optional(),
  /** m/s. */
  velocity_smooth: numberStream.optional(),
  heartrate: numberStream.optional(),
  cadence: numberStream.optional(),
  watts: numberStream.optional(),
});
export type StravaStreams = z.output<typeof stravaStreamsSchema>;

/** The stream types we ask for. */
export const STRAVA_STREAM_KEYS = [
  "time",
  "latlng",
  "distance",
  "altitude",
  "velocity_smooth",
  "heartrate",
  "cadence",
  "watts",
] as const;

/** A webhook event (`POST` to the callback URL). `updates` values are strings in Strava's documentation. */
export const stravaWebhookEventSchema = z.object({
  object_type: z.enum(["activity", "athlete"]),
  object_id: stravaIdSchema,
  aspect_type: z.enum(["create", "update", "delete"]),
  owner_id: stravaIdSchema,
  subscription_id: stravaIdSchema,
  event_time: unixSecondsSchema,
  updates: z
    .record(z.string().max(64), z.union([z.string().max(1000), z.number(), z.boolean()]))
    .refine((updates) => Object.keys(updates).length <= 32, { error: "has too many keys" })
    .optional(),
});
export type StravaWebhookEvent = z.output<typeof stravaWebhookEventSchema>;

/** The subscription validation request (`GET` to the callback URL). */
export const stravaWebhookHandshakeSchema = z.object({
  "hub.mode": z.string().max(64),
  "hub.verify_token": z.string().max(512),
  "hub.challenge": z.string().min(1).max(512),
});
