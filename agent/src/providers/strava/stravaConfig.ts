/**
 * The Strava integration's environment variables: their zod schema (merged into the agent's config schema)
 * and the `StravaSettings` built from them. The integration is off unless `STRAVA_CLIENT_ID` is set; then the
 * client secret and the webhook verify token are required.
 */
import { z } from "zod";
import { fail, integer, Secret, urlWithProtocols } from "../../configValues.ts";
import { parseTokenKey } from "../tokenCipher.ts";
import { STRAVA_SETTINGS_DEFAULTS, type StravaSettings } from "./stravaSettings.ts";

const secret = (min: number) =>
  z
    .string()
    .min(min, `must be at least ${min} characters`)
    .max(4_096)
    .transform((raw) => new Secret(raw));

const tokenKey = z.string().transform((raw, ctx) => {
  try {
    parseTokenKey(raw);
    return new Secret(raw);
  } catch {
    return fail(ctx, "must be a 32-byte key as 64 hex characters or base64");
  }
});

export const stravaEnvShape = {
  STRAVA_CLIENT_ID: z
    .string()
    .regex(/^\d{1,20}$/, "must be the numeric client id of your Strava app")
    .optional(),
  STRAVA_CLIENT_SECRET: secret(1).optional(),
  STRAVA_WEBHOOK_VERIFY_TOKEN: secret(8).optional(),
  STRAVA_SUBSCRIPTION_ID: integer(
    1,
    Number.MAX_SAFE_INTEGER,
    "must be the numeric push subscription id",
  ).optional(),
  STRAVA_BASE_URL: urlWithProtocols(["http:", "https:"], "must be an http(s) URL").default(
    STRAVA_SETTINGS_DEFAULTS.baseUrl,
  ),
  STRAVA_REDIRECT_URI: urlWithProtocols(["http:", "https:"], "must be an http(s) URL").optional(),
  STRAVA_WEB_REDIRECT_URL: urlWithProtocols(["http:", "https:"], "must be an http(s) URL").optional(),
  STRAVA_TOKEN_KEY: tokenKey.optional(),
  STRAVA_RECONCILE_INTERVAL_MS: integer(60_000, 86_400_000).default(15 * 60_000),
};

const stravaEnvSchema = z.object(stravaEnvShape);
export type StravaEnv = z.output<typeof stravaEnvSchema>;

export interface StravaConfig {
  settings: StravaSettings;
  reconcileIntervalMs: number;
}

/**
 * `undefined` when Strava is not configured, the config, or `[variable, problem]`. `agentPublicUrl` and
 * `webOrigin` give the default redirect URLs.
 */
export function stravaConfigFromEnv(
  e: StravaEnv,
  urls: { agentPublicUrl: string; webOrigin: string },
): StravaConfig | undefined | [variable: string, problem: string] {
  if (e.STRAVA_CLIENT_ID === undefined) return undefined;
  if (e.STRAVA_CLIENT_SECRET === undefined)
    return ["STRAVA_CLIENT_SECRET", "is required when STRAVA_CLIENT_ID is set"];
  if (e.STRAVA_WEBHOOK_VERIFY_TOKEN === undefined)
    return ["STRAVA_WEBHOOK_VERIFY_TOKEN", "is required when STRAVA_CLIENT_ID is set"];
  return {
    settings: {
      ...STRAVA_SETTINGS_DEFAULTS,
      baseUrl: e.STRAVA_BASE_URL,
      clientId: e.STRAVA_CLIENT_ID,
      clientSecret: e.STRAVA_CLIENT_SECRET,
      webhookVerifyToken: e.STRAVA_WEBHOOK_VERIFY_TOKEN,
      subscriptionId: e.STRAVA_SUBSCRIPTION_ID,
      redirectUri:
        e.STRAVA_REDIRECT_URI ?? `${urls.agentPublicUrl.replace(/\/$/, "")}/api/providers/strava/callback`,
      webRedirectUrl: e.STRAVA_WEB_REDIRECT_URL ?? `${urls.webOrigin}/`,
      tokenEncryptionKey: e.STRAVA_TOKEN_KEY,
    },
    reconcileIntervalMs: e.STRAVA_RECONCILE_INTERVAL_MS,
  };
}
