/**
 * The coach's settings and their defaults: plain data, no runtime imports, so `../config.ts` can compose
 * them without loading the coach (providers, channels, scheduler, router).
 */
import type { SafeRequestPolicy } from "./calendar/safeRequest.ts";
import type { RetryPolicy } from "./channels/retryWithBackoff.ts";
import type { TokenInfo } from "./tokenAmounts.ts";

export interface CoachSettings {
  provider: "rules" | "openai-compatible";
  /** Required for `openai-compatible`. */
  openai?: { baseURL: string; apiKey: string; model: string; timeoutMs: number };
  maxIterations: number;
  maxMessageChars: number;
  /** Cron pattern (UTC) of the scheduler pass. */
  schedule: string;
  smtpUrl?: string;
  nudgeFrom: string;
  webhookSecret?: string;
  webhookRetry: RetryPolicy;
  /** Outbound requests to user URLs (calendar feeds, webhooks). */
  outbound: Omit<SafeRequestPolicy, "resolve">;
  calendarRefreshMs: number;
  calendarMaxBytes: number;
  /** ERC-20 symbols and decimals by address (ETH is built in). */
  tokens: Record<string, TokenInfo>;
}

/** Defaults for every setting (what the README documents). */
export const DEFAULT_COACH_SETTINGS: CoachSettings = {
  provider: "rules",
  maxIterations: 5,
  maxMessageChars: 2_000,
  schedule: "*/15 * * * *",
  nudgeFrom: "Resolution Autopilot <coach@localhost>",
  webhookRetry: { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 },
  outbound: {
    allowPrivate: false,
    allowHttp: false,
    timeoutMs: 5_000,
    maxBytes: 1024 * 1024,
    maxRedirects: 3,
  },
  calendarRefreshMs: 6 * 3_600_000,
  calendarMaxBytes: 1024 * 1024,
  tokens: {},
};
