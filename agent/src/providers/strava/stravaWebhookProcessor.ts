/**
 * What one Strava webhook event does, once it has been answered and dequeued. The event body is unsigned
 * (Strava's design), so it is only ever a hint: activities are fetched from Strava with the stored tokens of
 * the athlete the event names, and a deauthorisation is believed only when Strava itself refuses our tokens.
 *
 * - unknown athlete, or an athlete whose access is revoked → ignored;
 * - activity `create` / `update` → fetched and delivered to the sink unless already stored (an update of a
 *   stored activity changes title, type or privacy, not the evidence);
 * - activity `delete` → nothing is removed (a counted workout may already back a signed attestation or an
 *   on-chain release); the first deletion of an activity the agent stored is written to the audit log, any other
 *   is ignored (the log is kept for good, and an unsigned event must not grow it);
 * - athlete `update` with `authorized: "false"` → confirmed against Strava, then the account is marked revoked
 *   and its tokens forgotten (audited).
 */
import { AgentError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { Repositories } from "../../store/store.ts";
import type { StravaActivityImporter } from "./stravaActivityImporter.ts";
import type { StravaClient } from "./stravaClient.ts";
import type { StravaWebhookEvent } from "./stravaSchemas.ts";
import { STRAVA_PROVIDER, type StravaTokens } from "./stravaTokens.ts";

export type StravaEventOutcome =
  | "imported"
  | "already_stored"
  | "unknown_athlete"
  | "account_revoked"
  | "delete_audited"
  | "delete_ignored"
  | "revoked"
  | "deauthorization_unconfirmed"
  | "ignored";

export interface StravaWebhookProcessorParameters {
  store: Pick<Repositories, "providerAccounts" | "auditLog">;
  client: StravaClient;
  tokens: StravaTokens;
  importer: StravaActivityImporter;
  logger: Logger;
}

export interface StravaWebhookProcessor {
  process(event: StravaWebhookEvent): Promise<StravaEventOutcome>;
}

const AUDIT_ACTOR = "provider:strava";

function isRevoked(error: unknown): boolean {
  return error instanceof AgentError && error.code === "provider_access_revoked";
}

export function createStravaWebhookProcessor({
  store,
  client,
  tokens,
  importer,
  logger,
}: StravaWebhookProcessorParameters): StravaWebhookProcessor {
  const deauthorize = async (event: StravaWebhookEvent): Promise<StravaEventOutcome> => {
    const athleteId = String(event.owner_id);
    const account = await store.providerAccounts.getByAthlete({ provider: STRAVA_PROVIDER, athleteId });
    if (account === null) return "unknown_athlete";
    if (account.revokedAt !== null) return "account_revoked";
    try {
      await tokens.withAccessToken(account, (token) => client.getAthlete(token));
    } catch (error) {
      if (!isRevoked(error)) {
        logger.warn(
          { err: error, provider: STRAVA_PROVIDER, athleteId },
          "deauthorization event not confirmed: Strava could not be asked",
        );
        return "deauthorization_unconfirmed";
      }
      await store.auditLog.append({
        actor: AUDIT_ACTOR,
        action: "provider.deauthorized",
        subject: `provider:${STRAVA_PROVIDER}:athlete:${athleteId}`,
        details: { provider: STRAVA_PROVIDER, athleteId, owner: account.owner, eventTime: event.event_time },
      });
      return "revoked";
    }
    logger.warn(
      { provider: STRAVA_PROVIDER, athleteId },
      "deauthorization event not confirmed: Strava still accepts our tokens",
    );
    return "deauthorization_unconfirmed";
  };

  const activity = async (event: StravaWebhookEvent): Promise<StravaEventOutcome> => {
    const athleteId = String(event.owner_id);
    const activityId = String(event.object_id);
    const account = await store.providerAccounts.getByAthlete({ provider: STRAVA_PROVIDER, athleteId });
    if (account === null) return "unknown_athlete";
    if (account.revokedAt !== null) return "account_revoked";
    const stored = await store.providerAccounts.storedActivityIds({
      provider: STRAVA_PROVIDER,
      owner: account.owner,
      activityIds: [activityId],
    });
    if (event.aspect_type === "delete") {
      // Only the first deletion of an activity the agent holds is audited: the webhook is not signed, and the audit
      // log is kept for good, so a forged stream of deletions (of made-up ids, or the same id again) must not add a
      // row each.
      if (!stored.has(activityId)) return "delete_ignored";
      const subject = `provider:${STRAVA_PROVIDER}:activity:${activityId}`;
      const earlier = await store.auditLog.list({ subject, limit: 500 });
      if (earlier.some((entry) => entry.action === "provider.activity_deleted")) return "delete_ignored";
      await store.auditLog.append({
        actor: AUDIT_ACTOR,
        action: "provider.activity_deleted",
        subject,
        details: {
          provider: STRAVA_PROVIDER,
          athleteId,
          activityId,
          owner: account.owner,
          stored: true,
          eventTime: event.event_time,
        },
      });
      return "delete_audited";
    }
    if (stored.has(activityId)) return "already_stored";
    await importer.importActivity(account, activityId);
    return "imported";
  };

  return {
    process: async (event) => {
      if (event.object_type === "athlete") {
        const authorized = event.updates?.authorized;
        const withdrawn = authorized === "false" || authorized === false;
        return event.aspect_type === "update" && withdrawn ? deauthorize(event) : "ignored";
      }
      return activity(event);
    },
  };
}
