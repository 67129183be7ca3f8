/**
 * Assembles the Strava integration from its settings and the agent's dependencies: the API client, the token
 * keeper (with the at-rest cipher), the activity importer feeding the sink, the bounded webhook queue and its
 * processor, the router (mount at `/api/providers/strava`) and the reconciler (start it with an interval).
 * `close()` stops the reconciler and drains the queue (waiting items are dropped; reconciliation finds them
 * after a restart).
 */
import type { Router } from "express";
import type { Clock } from "../../clock.ts";
import { AgentError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { type BoundedWorkQueue, createBoundedWorkQueue } from "../boundedWorkQueue.ts";
import type { ProviderActivitySink } from "../providerActivitySink.ts";
import { createTokenCipher } from "../tokenCipher.ts";
import { createStravaReconciler, type StravaReconciler } from "./reconcile.ts";
import { createStravaActivityImporter } from "./stravaActivityImporter.ts";
import { createStravaClient, type StravaClient } from "./stravaClient.ts";
import { type StravaRouterParameters, stravaRouter, webhookEventLogFields } from "./stravaRouter.ts";
import type { StravaWebhookEvent } from "./stravaSchemas.ts";
import { createStravaTokens } from "./stravaTokens.ts";
import { createStravaWebhookProcessor, type StravaWebhookProcessor } from "./stravaWebhookProcessor.ts";

export interface CreateStravaIntegrationParameters
  extends Pick<StravaRouterParameters, "settings" | "config" | "store"> {
  sink: ProviderActivitySink;
  clock: Clock;
  logger: Logger;
  /** Test seams; real ones by default. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface StravaIntegration {
  router: Router;
  reconciler: StravaReconciler;
  queue: BoundedWorkQueue<StravaWebhookEvent>;
  processor: StravaWebhookProcessor;
  client: StravaClient;
  close(): Promise<void>;
}

export function createStravaIntegration({
  settings,
  config,
  store,
  sink,
  clock,
  logger: parentLogger,
  fetch,
  sleep,
  random,
}: CreateStravaIntegrationParameters): StravaIntegration {
  const logger = parentLogger.child({ component: "strava" });
  const client = createStravaClient({
    baseUrl: settings.baseUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    http: {
      clock,
      logger,
      fetch,
      sleep,
      random,
      timeoutMs: settings.http.timeoutMs,
      maxResponseBytes: settings.http.maxResponseBytes,
      retry: settings.http.retry,
    },
  });
  const tokens = createStravaTokens({
    accounts: store.providerAccounts,
    client,
    cipher: createTokenCipher({ key: settings.tokenEncryptionKey?.reveal() }),
    clock,
    logger,
  });
  const importer = createStravaActivityImporter({
    client,
    tokens,
    sink,
    logger,
    fetchStreams: settings.fetchStreams,
  });
  const processor = createStravaWebhookProcessor({ store, client, tokens, importer, logger });
  const queue = createBoundedWorkQueue<StravaWebhookEvent>({
    name: "strava-webhook",
    capacity: settings.webhookQueueCapacity,
    logger,
    handle: async (event) => {
      const fields = webhookEventLogFields(event);
      try {
        const outcome = await processor.process(event);
        logger.info({ ...fields, outcome }, "webhook event processed");
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        // Expected failures (Strava down, malformed answer, access revoked): reconciliation retries them.
        logger.warn(
          { ...fields, err: error, code: error.code },
          "webhook event failed; reconciliation will retry",
        );
      }
    },
  });
  const reconciler = createStravaReconciler({
    accounts: store.providerAccounts,
    client,
    tokens,
    importer,
    clock,
    logger,
    limits: settings.reconcile,
  });
  const router = stravaRouter({ settings, config, store, client, tokens, queue, logger });
  return {
    router,
    reconciler,
    queue,
    processor,
    client,
    close: async () => {
      await reconciler.stop();
      await queue.close();
    },
  };
}
