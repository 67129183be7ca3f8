/**
 * Builds the Strava integration the way the agent will, against the local fake Strava server: the test app
 * (session routes, ManualClock, collected logs) with the Strava router mounted at /api/providers/strava, an
 * in-memory PGlite store, and injected sleep and random so retries never wait. Sinks: a recording one, and one
 * backed by the real store (verifyWorkout verdict, `workouts.insert`).
 */
import { Router } from "express";
import { Secret } from "../../src/config.ts";
import { ConflictError } from "../../src/errors.ts";
import type { ProviderActivity, ProviderActivitySink } from "../../src/providers/providerActivitySink.ts";
import {
  createStravaIntegration,
  type StravaIntegration,
} from "../../src/providers/strava/stravaIntegration.ts";
import { STRAVA_SETTINGS_DEFAULTS, type StravaSettings } from "../../src/providers/strava/stravaSettings.ts";
import { createTokenCipher } from "../../src/providers/tokenCipher.ts";
import { openStore } from "../../src/store/openStore.ts";
import type { Store } from "../../src/store/store.ts";
import { verifyWorkout } from "../../src/workouts/verifyWorkout.ts";
import { buildTestApp, type TestApp } from "../http/testApp.ts";
import { FakeStrava } from "../support/fakeStrava.ts";

export const WEB_REDIRECT_URL = "http://127.0.0.1:5173/settings";
export const VERIFY_TOKEN = "verify-token-for-tests";
export const SUBSCRIPTION_ID = 120475;
/** A 32-byte key (hex), so tokens are sealed at rest in these tests. */
export const TOKEN_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

export interface RecordingSink extends ProviderActivitySink {
  accepted: ProviderActivity[];
}

export function recordingSink(): RecordingSink {
  const accepted: ProviderActivity[] = [];
  return {
    accepted,
    accept: async (activity) => {
      accepted.push(activity);
    },
  };
}

/** A sink that stores device activities like the ingestion service does: verdict from verifyWorkout, duplicates skipped. */
export function storeSink(store: Store, clock: TestApp["clock"]): RecordingSink {
  const accepted: ProviderActivity[] = [];
  return {
    accepted,
    accept: async (delivered) => {
      accepted.push(delivered);
      const { activity, owner } = delivered;
      const end = activity.startTime + activity.elapsedSec * 1000;
      const existing = await store.workouts.acceptedOverlapping(
        owner,
        new Date(activity.startTime - 24 * 3600 * 1000),
        new Date(end + 24 * 3600 * 1000),
      );
      const verdict = verifyWorkout(activity, {
        clock,
        acceptedExisting: existing.map((w) => ({
          contentHash: w.contentHash,
          startTime: w.startTime.getTime(),
          endTime: w.endTime.getTime(),
        })),
      });
      if (verdict.reasons.some((reason) => reason.code === "duplicate")) return;
      try {
        await store.workouts.insert({
          owner,
          source: delivered.manual ? "manual" : "provider",
          contentHash: activity.contentHash,
          sport: activity.sport,
          startTime: new Date(activity.startTime),
          endTime: new Date(end),
          durationSec: Math.round(activity.durationSec),
          elapsedSec: Math.round(activity.elapsedSec),
          distanceM: activity.distanceM ?? null,
          avgHeartRate: activity.avgHeartRate ?? null,
          verdict,
          provider: delivered.provider,
          providerActivityId: delivered.providerActivityId,
        });
      } catch (error) {
        if (!(error instanceof ConflictError && error.code === "duplicate")) throw error;
      }
    },
  };
}

export interface StravaHarness {
  fake: FakeStrava;
  store: Store;
  testApp: TestApp;
  integration: StravaIntegration;
  settings: StravaSettings;
  sink: RecordingSink;
  /** Every delay the integration slept for, in ms. */
  sleeps: number[];
  close(): Promise<void>;
}

export interface CreateStravaHarnessParameters {
  /** Builds the sink once the store exists; a recording sink by default. */
  sink?: (store: Store, clock: TestApp["clock"]) => RecordingSink;
  settings?: (defaults: StravaSettings) => StravaSettings;
  random?: () => number;
}

export async function createStravaHarness(
  parameters: CreateStravaHarnessParameters = {},
): Promise<StravaHarness> {
  const mount = Router();
  const testApp = buildTestApp({ routes: [{ path: "/providers/strava", router: mount }] });
  const store = await openStore({ dataDir: "memory://", clock: testApp.clock });
  const fake = await new FakeStrava({ clock: testApp.clock }).start();
  const base: StravaSettings = {
    ...STRAVA_SETTINGS_DEFAULTS,
    baseUrl: fake.baseUrl,
    clientId: fake.clientId,
    clientSecret: new Secret(fake.clientSecret),
    webhookVerifyToken: new Secret(VERIFY_TOKEN),
    subscriptionId: SUBSCRIPTION_ID,
    redirectUri: `${testApp.config.agentPublicUrl}/api/providers/strava/callback`,
    webRedirectUrl: WEB_REDIRECT_URL,
    tokenEncryptionKey: new Secret(TOKEN_KEY),
    http: {
      timeoutMs: 2_000,
      maxResponseBytes: 8 * 1024 * 1024,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 },
    },
  };
  const settings = parameters.settings?.(base) ?? base;
  const sink = parameters.sink?.(store, testApp.clock) ?? recordingSink();
  const sleeps: number[] = [];
  const integration = createStravaIntegration({
    settings,
    config: testApp.config,
    store,
    sink,
    clock: testApp.clock,
    logger: testApp.logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: parameters.random ?? (() => 0.5),
  });
  mount.use(integration.router);
  return {
    fake,
    store,
    testApp,
    integration,
    settings,
    sink,
    sleeps,
    close: async () => {
      await integration.close();
      await fake.close();
      await store.close();
    },
  };
}

/** Links `owner` to `athleteId` directly in the store, with tokens the fake issued (sealed like the callback does). */
export async function linkAccount(
  harness: StravaHarness,
  owner: string,
  athleteId: number,
  options: { expiresAt?: Date } = {},
): Promise<{ accessToken: string; refreshToken: string }> {
  const tokens = harness.fake.issueTokens(athleteId);
  const cipher = createTokenCipher({ key: harness.settings.tokenEncryptionKey?.reveal() });
  const id = String(athleteId);
  await harness.store.providerAccounts.link({
    provider: "strava",
    athleteId: id,
    owner,
    accessToken: cipher.seal(tokens.accessToken, { provider: "strava", athleteId: id, kind: "access" }),
    refreshToken: cipher.seal(tokens.refreshToken, { provider: "strava", athleteId: id, kind: "refresh" }),
    expiresAt: options.expiresAt ?? new Date(tokens.expiresAt * 1000),
    scope: "read,activity:read_all",
  });
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

/** A webhook event body as Strava posts it. */
export function webhookEvent(
  overrides: Partial<{
    object_type: "activity" | "athlete";
    object_id: number;
    aspect_type: "create" | "update" | "delete";
    owner_id: number;
    subscription_id: number;
    event_time: number;
    updates: Record<string, string>;
  }> = {},
) {
  return {
    aspect_type: "create",
    event_time: 1_795_417_200,
    object_id: 1,
    object_type: "activity",
    owner_id: 1,
    subscription_id: SUBSCRIPTION_ID,
    updates: {},
    ...overrides,
  };
}
