/**
 * Everything the Strava integration is configured with (parsed from the environment by the agent's config and
 * passed down), and the defaults of the optional values. Secrets are `Secret`s: they print as `[redacted]`.
 */
import type { Secret } from "../../configValues.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../providerRequest.ts";

export interface StravaSettings {
  /** `https://www.strava.com` (tests: the fake's URL). */
  baseUrl: string;
  clientId: string;
  clientSecret: Secret<string>;
  /** The `verify_token` given when creating the push subscription; the handshake must echo it. */
  webhookVerifyToken: Secret<string>;
  /** The push subscription's id; events carrying another id are ignored (all of them while unset). */
  subscriptionId: number | undefined;
  /** Where Strava sends the browser back: this agent's `/api/providers/strava/callback`, absolute. */
  redirectUri: string;
  /** Where the callback sends the browser afterwards (the web app), absolute. */
  webRedirectUrl: string;
  /** AES-256-GCM key for tokens at rest (64 hex chars or base64 of 32 bytes); tokens are stored as given without. */
  tokenEncryptionKey: Secret<string> | undefined;
  /** Scopes requested; a callback must grant `activity:read_all` or `activity:read`. */
  scope: readonly string[];
  /** How long a `state` from /connect stays usable. */
  stateTtlMs: number;
  http: {
    /** Per attempt, body included. */
    timeoutMs: number;
    maxResponseBytes: number;
    retry: RetryPolicy;
  };
  /** Webhook events waiting at most; more are dropped (reconciliation catches up). */
  webhookQueueCapacity: number;
  /** Fetch streams for device activities (needed by the plausibility checks). */
  fetchStreams: boolean;
  reconcile: {
    /** Accounts reconciled per run (round robin over runs). */
    maxAccountsPerRun: number;
    /** Activity pages listed per account and run. */
    maxPagesPerAccount: number;
    /** Activities per page (Strava allows up to 200). */
    perPage: number;
    /** Listing starts this long before `synced_until` (late uploads, missed events). */
    overlapMs: number;
    /** A freshly linked account is listed from this long before it was linked. */
    initialLookbackMs: number;
  };
}

export type StravaSettingsDefaults = Omit<
  StravaSettings,
  | "clientId"
  | "clientSecret"
  | "webhookVerifyToken"
  | "subscriptionId"
  | "redirectUri"
  | "webRedirectUrl"
  | "tokenEncryptionKey"
>;

const HOUR_MS = 60 * 60 * 1000;

export const STRAVA_SETTINGS_DEFAULTS: StravaSettingsDefaults = {
  baseUrl: "https://www.strava.com",
  scope: ["read", "activity:read_all"],
  stateTtlMs: 10 * 60 * 1000,
  http: { timeoutMs: 10_000, maxResponseBytes: 8 * 1024 * 1024, retry: DEFAULT_RETRY_POLICY },
  webhookQueueCapacity: 1_000,
  fetchStreams: true,
  reconcile: {
    maxAccountsPerRun: 50,
    maxPagesPerAccount: 2,
    perPage: 50,
    overlapMs: 72 * HOUR_MS,
    initialLookbackMs: 7 * 24 * HOUR_MS,
  },
};
