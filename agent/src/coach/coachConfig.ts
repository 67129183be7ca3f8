/**
 * The coach's environment variables: their zod schema (merged into the agent's config schema) and the
 * `CoachSettings` built from the parsed values. Defaults are `DEFAULT_COACH_SETTINGS`.
 */
import { Cron } from "croner";
import { getAddress, isAddress } from "viem";
import { z } from "zod";
import { boolean, fail, integer, Secret, urlWithProtocols } from "../configValues.ts";
import { type CoachSettings, DEFAULT_COACH_SETTINGS } from "./coachSettings.ts";
import type { TokenInfo } from "./tokenAmounts.ts";

const cronPattern = z.string().transform((raw, ctx) => {
  try {
    new Cron(raw, { paused: true, timezone: "UTC" }).stop();
    return raw;
  } catch {
    return fail(ctx, 'must be a cron pattern, e.g. "*/15 * * * *"');
  }
});

/** `0xToken:SYMBOL:decimals` entries, comma-separated. */
const tokenList = z.string().transform((raw, ctx) => {
  const tokens: Record<string, TokenInfo> = {};
  const message = "must be comma-separated 0xTokenAddress:SYMBOL:decimals entries, e.g. 0xA0b8…eB48:USDC:6";
  for (const entry of raw.split(",")) {
    const [address, symbol, decimals, ...rest] = entry.trim().split(":");
    if (
      rest.length > 0 ||
      address === undefined ||
      !isAddress(address, { strict: false }) ||
      symbol === undefined ||
      !/^[A-Za-z0-9.$_-]{1,16}$/.test(symbol) ||
      decimals === undefined ||
      !/^\d{1,2}$/.test(decimals) ||
      Number(decimals) > 36
    ) {
      return fail(ctx, message);
    }
    tokens[getAddress(address).toLowerCase()] = { symbol, decimals: Number(decimals) };
  }
  return tokens;
});

export const coachEnvShape = {
  COACH_PROVIDER: z
    .enum(["rules", "openai-compatible"], { error: "must be rules or openai-compatible" })
    .default("rules"),
  OPENAI_BASE_URL: urlWithProtocols(["http:", "https:"], "must be an http(s) URL").optional(),
  OPENAI_API_KEY: z
    .string()
    .max(4_096)
    .transform((raw) => new Secret(raw))
    .optional(),
  OPENAI_MODEL: z
    .string()
    .regex(/^[\w.:/@-]{1,200}$/, "must be a model name")
    .optional(),
  OPENAI_TIMEOUT_MS: integer(100, 300_000).default(30_000),
  COACH_MAX_ITERATIONS: integer(1, 20).default(DEFAULT_COACH_SETTINGS.maxIterations),
  COACH_MAX_MESSAGE_CHARS: integer(1, 100_000).default(DEFAULT_COACH_SETTINGS.maxMessageChars),
  COACH_SCHEDULE: cronPattern.default(DEFAULT_COACH_SETTINGS.schedule),
  SMTP_URL: urlWithProtocols(["smtp:", "smtps:"], "must be an smtp:// or smtps:// URL").optional(),
  NUDGE_FROM: z.string().min(3).max(320).default(DEFAULT_COACH_SETTINGS.nudgeFrom),
  NUDGE_WEBHOOK_SECRET: z
    .string()
    .min(16, "must be at least 16 characters")
    .max(4_096)
    .transform((raw) => new Secret(raw))
    .optional(),
  CALENDAR_ALLOW_PRIVATE_HOSTS: boolean.default(false),
  CALENDAR_ALLOW_HTTP: boolean.default(false),
  CALENDAR_FETCH_TIMEOUT_MS: integer(100, 60_000).default(DEFAULT_COACH_SETTINGS.outbound.timeoutMs),
  CALENDAR_MAX_BYTES: integer(1_024, 20 * 1024 * 1024).default(DEFAULT_COACH_SETTINGS.calendarMaxBytes),
  CALENDAR_REFRESH_MS: integer(60_000, 7 * 86_400_000).default(DEFAULT_COACH_SETTINGS.calendarRefreshMs),
  COACH_TOKENS: tokenList.optional(),
};

const coachEnvSchema = z.object(coachEnvShape);
export type CoachEnv = z.output<typeof coachEnvSchema>;

/** A problem with the coach's variables, as `[variable, message]`, or the settings. */
export function coachSettingsFromEnv(e: CoachEnv): CoachSettings | [variable: string, problem: string] {
  const settings: CoachSettings = {
    ...DEFAULT_COACH_SETTINGS,
    provider: e.COACH_PROVIDER,
    maxIterations: e.COACH_MAX_ITERATIONS,
    maxMessageChars: e.COACH_MAX_MESSAGE_CHARS,
    schedule: e.COACH_SCHEDULE,
    nudgeFrom: e.NUDGE_FROM,
    outbound: {
      ...DEFAULT_COACH_SETTINGS.outbound,
      allowPrivate: e.CALENDAR_ALLOW_PRIVATE_HOSTS,
      allowHttp: e.CALENDAR_ALLOW_HTTP,
      timeoutMs: e.CALENDAR_FETCH_TIMEOUT_MS,
      maxBytes: e.CALENDAR_MAX_BYTES,
    },
    calendarMaxBytes: e.CALENDAR_MAX_BYTES,
    calendarRefreshMs: e.CALENDAR_REFRESH_MS,
    tokens: e.COACH_TOKENS ?? {},
  };
  if (e.SMTP_URL !== undefined) settings.smtpUrl = e.SMTP_URL;
  if (e.NUDGE_WEBHOOK_SECRET !== undefined) settings.webhookSecret = e.NUDGE_WEBHOOK_SECRET.reveal();
  if (e.COACH_PROVIDER === "openai-compatible") {
    if (e.OPENAI_BASE_URL === undefined)
      return ["OPENAI_BASE_URL", "is required when COACH_PROVIDER=openai-compatible"];
    if (e.OPENAI_MODEL === undefined)
      return ["OPENAI_MODEL", "is required when COACH_PROVIDER=openai-compatible"];
    settings.openai = {
      baseURL: e.OPENAI_BASE_URL,
      // Local servers (Ollama, llama.cpp) accept any key; the SDK insists on one.
      apiKey: e.OPENAI_API_KEY?.reveal() ?? "not-needed",
      model: e.OPENAI_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
    };
  }
  return settings;
}

/** The coach settings for the startup audit line: no secrets, no SMTP credentials. */
export function redactedCoachSettings(settings: CoachSettings): Record<string, unknown> {
  return {
    provider: settings.provider,
    openai:
      settings.openai === undefined
        ? null
        : {
            baseURL: settings.openai.baseURL,
            model: settings.openai.model,
            timeoutMs: settings.openai.timeoutMs,
          },
    maxIterations: settings.maxIterations,
    schedule: settings.schedule,
    email: settings.smtpUrl === undefined ? "off" : "on",
    webhook: settings.webhookSecret === undefined ? "off" : "on",
    calendar: { ...settings.outbound, refreshMs: settings.calendarRefreshMs },
    tokens: { ...settings.tokens },
  };
}
