/**
 * Periodic reconciliation for missed webhook events (Strava gives up on a callback after a few tries, the
 * queue drops events when full, the agent may be down). `reconcileOnce` walks the linked accounts, at most
 * `maxAccountsPerRun` per run (round robin across runs), and for each lists the activities that started after
 * `synced_until` minus `overlapMs` (a new account: from `initialLookbackMs` before it was linked), at most
 * `maxPagesPerAccount` pages. Activities already stored are skipped, the others are delivered to the sink
 * oldest first, and `synced_until` advances to the newest start delivered or skipped without a failure in
 * between: an activity that fails is offered again next run. Strava lists activities oldest first when
 * `after` is given, so a run cut short by the page bound resumes where it stopped.
 *
 * `start(intervalMs)` runs it periodically; a run never overlaps another (the next is scheduled when one ends,
 * and a `reconcileOnce` during a run joins it), and `stop()` waits for a run in progress.
 */
import type { Clock } from "../../clock.ts";
import { AgentError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { ProviderAccountRecord } from "../../store/providerAccountsRepository.ts";
import type { Repositories } from "../../store/store.ts";
import type { StravaActivityImporter } from "./stravaActivityImporter.ts";
import type { StravaClient } from "./stravaClient.ts";
import type { StravaSettings } from "./stravaSettings.ts";
import { STRAVA_PROVIDER, type StravaTokens } from "./stravaTokens.ts";

export interface StravaReconcilerParameters {
  accounts: Repositories["providerAccounts"];
  client: StravaClient;
  tokens: StravaTokens;
  importer: StravaActivityImporter;
  clock: Clock;
  logger: Logger;
  limits: StravaSettings["reconcile"];
}

export interface ReconcileReport {
  accounts: number;
  /** Activities handed to the sink. */
  delivered: number;
  /** Activities listed that were already stored. */
  alreadyStored: number;
  /** Accounts whose run stopped on an error (retried next run). */
  failedAccounts: number;
}

export interface StravaReconciler {
  reconcileOnce(): Promise<ReconcileReport>;
  /** Runs `reconcileOnce` every `intervalMs` (the first run after one interval). Idempotent. */
  start(intervalMs: number): void;
  /** Stops the loop; resolves when a run in progress has finished. */
  stop(): Promise<void>;
}

/** storedActivityIds takes at most this many ids at once. */
const ID_CHUNK = 500;

function codeOf(error: unknown): string | undefined {
  return error instanceof AgentError ? error.code : undefined;
}

export function createStravaReconciler({
  accounts,
  client,
  tokens,
  importer,
  clock,
  logger,
  limits,
}: StravaReconcilerParameters): StravaReconciler {
  /** Last athlete id of the previous run's page, so the next run continues the round robin. */
  let cursor: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const reconcileAccount = async (account: ProviderAccountRecord, report: ReconcileReport) => {
    const from =
      account.syncedUntil !== null
        ? account.syncedUntil.getTime() - limits.overlapMs
        : account.createdAt.getTime() - limits.initialLookbackMs;
    const listed = await tokens.withAccessToken(account, (token) =>
      client.listActivities(token, {
        after: new Date(Math.max(0, from)),
        perPage: limits.perPage,
        maxPages: limits.maxPagesPerAccount,
      }),
    );
    const activities = [...listed.activities].sort(
      (a, b) => Date.parse(a.start_date) - Date.parse(b.start_date) || a.id - b.id,
    );
    const stored = new Set<string>();
    for (let i = 0; i < activities.length; i += ID_CHUNK) {
      const ids = activities.slice(i, i + ID_CHUNK).map((activity) => String(activity.id));
      for (const id of await accounts.storedActivityIds({
        provider: STRAVA_PROVIDER,
        owner: account.owner,
        activityIds: ids,
      })) {
        stored.add(id);
      }
    }
    let syncedUntil: number | undefined;
    try {
      for (const activity of activities) {
        if (stored.has(String(activity.id))) {
          report.alreadyStored += 1;
        } else {
          await importer.deliver(account, activity);
          stored.add(String(activity.id));
          report.delivered += 1;
        }
        syncedUntil = Date.parse(activity.start_date);
      }
    } finally {
      if (syncedUntil !== undefined) {
        await accounts.advanceSyncedUntil({
          provider: STRAVA_PROVIDER,
          athleteId: account.athleteId,
          syncedUntil: new Date(syncedUntil),
        });
      }
    }
  };

  const runOnce = async (): Promise<ReconcileReport> => {
    const report: ReconcileReport = { accounts: 0, delivered: 0, alreadyStored: 0, failedAccounts: 0 };
    const page = await accounts.listActive({
      provider: STRAVA_PROVIDER,
      afterAthleteId: cursor,
      limit: limits.maxAccountsPerRun,
    });
    cursor = page.length < limits.maxAccountsPerRun ? undefined : page.at(-1)?.athleteId;
    for (const account of page) {
      report.accounts += 1;
      try {
        await reconcileAccount(account, report);
      } catch (error) {
        report.failedAccounts += 1;
        logger.warn(
          { err: error, code: codeOf(error), provider: STRAVA_PROVIDER, athleteId: account.athleteId },
          "reconciliation of a provider account failed; retried next run",
        );
      }
    }
    logger.info({ provider: STRAVA_PROVIDER, at: new Date(clock.now()), ...report }, "reconciliation done");
    return report;
  };

  /** Single flight: a call while a run is in progress gets that run's report. */
  let inFlight: Promise<ReconcileReport> | undefined;
  const reconcileOnce = (): Promise<ReconcileReport> => {
    if (inFlight !== undefined) return inFlight;
    const run = runOnce().finally(() => {
      inFlight = undefined;
    });
    inFlight = run;
    return run;
  };

  const schedule = (intervalMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      const run = reconcileOnce()
        .catch((error: unknown) => {
          logger.error({ err: error, provider: STRAVA_PROVIDER }, "reconciliation run failed");
        })
        .finally(() => {
          running = undefined;
          schedule(intervalMs);
        });
      running = run;
    }, intervalMs);
    timer.unref();
  };

  return {
    reconcileOnce,
    start: (intervalMs) => {
      if (!stopped) return;
      stopped = false;
      schedule(Math.max(10, Math.floor(intervalMs)));
    },
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
