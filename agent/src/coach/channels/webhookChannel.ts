/**
 * Signed webhooks: `POST` JSON `{ id, owner, reason, message, createdAt }` to the owner's webhook URL with
 * `X-Nudge-Timestamp: <unix seconds>` and `X-Nudge-Signature: sha256=<hex HMAC-SHA256(secret,
 * "<timestamp>.<body>")>`, so the receiver can check origin and freshness. The URL goes through `safeRequest`
 * (no private addresses, no redirects). 2xx is delivered; network errors, 408, 429 and 5xx are retried with
 * backoff and jitter; other answers and refusals fail at once; after `retry.attempts` it gives up.
 */
import { createHmac } from "node:crypto";
import type { Clock } from "../../clock.ts";
import { AgentError } from "../../errors.ts";
import { type SafeRequestPolicy, safeRequest } from "../calendar/safeRequest.ts";
import type { NudgeChannel } from "./nudgeChannel.ts";
import { type RetryPolicy, retryWithBackoff } from "./retryWithBackoff.ts";

export const SIGNATURE_HEADER = "x-nudge-signature";
export const TIMESTAMP_HEADER = "x-nudge-timestamp";

export interface CreateWebhookChannelParameters {
  /** HMAC key (NUDGE_WEBHOOK_SECRET). */
  secret: string;
  clock: Clock;
  policy: SafeRequestPolicy;
  retry: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

class WebhookStatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`webhook answered ${status}`);
    this.status = status;
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof WebhookStatusError) {
    return error.status === 408 || error.status === 429 || error.status >= 500;
  }
  if (error instanceof AgentError) return error.code === "url_unreachable";
  return true;
}

export function createWebhookChannel(parameters: CreateWebhookChannelParameters): NudgeChannel {
  const { secret, clock, retry } = parameters;
  const policy: SafeRequestPolicy = { ...parameters.policy, maxRedirects: 0 };
  return {
    kind: "webhook",
    unavailableReason: (preferences) => (preferences.webhookUrl === null ? "no webhook URL saved" : null),
    deliver: async (delivery, preferences) => {
      const url = preferences.webhookUrl;
      if (url === null) return { ok: false, attempts: 0, error: "no webhook URL saved" };
      const body = JSON.stringify({
        id: delivery.nudgeId,
        owner: delivery.owner,
        reason: delivery.reason,
        message: delivery.message,
        createdAt: delivery.createdAt.toISOString(),
      });
      const outcome = await retryWithBackoff({
        policy: retry,
        isRetryable,
        sleep: parameters.sleep,
        random: parameters.random,
        task: async () => {
          const timestamp = Math.floor(clock.now() / 1000);
          const response = await safeRequest(
            {
              url,
              method: "POST",
              field: "webhookUrl",
              body,
              headers: {
                "content-type": "application/json",
                "x-nudge-id": delivery.nudgeId,
                [TIMESTAMP_HEADER]: String(timestamp),
                [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
              },
            },
            policy,
          );
          if (response.status < 200 || response.status >= 300) throw new WebhookStatusError(response.status);
        },
      });
      if (outcome.ok) return { ok: true, attempts: outcome.attempts };
      const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      return { ok: false, attempts: outcome.attempts, error };
    },
  };
}
