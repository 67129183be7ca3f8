/**
 * Strava routes, mounted at `/api/providers/strava`:
 * - `GET /` (session) → `{ provider, linked, athleteId, scope, revoked, linkedAt, syncedUntil }` (never tokens);
 * - `GET /connect` (session) → `{ authorizeUrl }`: Strava's consent page with a fresh single-use `state` bound
 *   to the wallet (10 minutes) and to this browser (an HttpOnly SameSite=Lax cookie scoped to the callback,
 *   which survives the cross-site redirect back from Strava even when the session cookie is SameSite=Strict);
 * - `GET /callback?code&state&scope` (Strava's redirect): the state must exist, be unexpired and unused, match
 *   the browser's cookie and, when a session comes along, its wallet (else 400 `invalid_oauth_state`); a
 *   refusal on Strava → 400 `provider_access_denied`; no `activity:read_all` / `activity:read` in the granted
 *   scope → 400 `insufficient_scope`; then the code is exchanged and the account linked (the athlete linked to
 *   another wallet → 409) and the browser is redirected to the web app;
 * - `DELETE /` (session) → 204: access revoked on Strava (best effort) and tokens forgotten; 404 when not linked;
 * - `GET /webhook` (Strava's subscription validation): `hub.verify_token` must match (else 403) → 200
 *   `{ "hub.challenge": ... }`;
 * - `POST /webhook` (Strava's events, unauthenticated by design): validated, answered 200 at once, and queued
 *   for processing in a bounded queue (full → dropped with a warning; reconciliation catches up). Events of
 *   another subscription are ignored.
 */
import { cookieOf } from "../../http/cookies.ts";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type CookieOptions, type Request, type RequestHandler, Router } from "express";
import { z } from "zod";
import { optionalSessionOf, requireSession, sessionOf } from "../../auth/session.ts";
import type { Config } from "../../config.ts";
import { AgentError, ForbiddenError, NotFoundError } from "../../errors.ts";
import { BadRequestError } from "../../http/httpErrors.ts";
import { parseJsonBody, parseQuery } from "../../http/parseRequest.ts";
import type { Logger } from "../../logger.ts";
import type { Repositories } from "../../store/store.ts";
import type { BoundedWorkQueue } from "../boundedWorkQueue.ts";
import { ProviderResponseError } from "../providerRequest.ts";
import type { StravaClient } from "./stravaClient.ts";
import {
  type StravaWebhookEvent,
  stravaWebhookEventSchema,
  stravaWebhookHandshakeSchema,
} from "./stravaSchemas.ts";
import type { StravaSettings } from "./stravaSettings.ts";
import { STRAVA_PROVIDER, type StravaTokens } from "./stravaTokens.ts";

export const OAUTH_COOKIE_NAME = "ra_strava_oauth";
/** Granting either is enough: `activity:read_all` also covers private activities. */
export const ACTIVITY_SCOPES = ["activity:read_all", "activity:read"] as const;

export interface StravaRouterParameters {
  settings: StravaSettings;
  config: Pick<Config, "agentPublicUrl">;
  store: Pick<Repositories, "providerAccounts" | "providerOauthStates" | "auditLog">;
  client: StravaClient;
  tokens: StravaTokens;
  /** Where valid webhook events go. */
  queue: BoundedWorkQueue<StravaWebhookEvent>;
  logger: Logger;
}

export const callbackQuery = z.object({
  state: z.string().min(1).max(256),
  code: z.string().min(1).max(512).optional(),
  scope: z.string().max(512).optional(),
  error: z.string().max(128).optional(),
});

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

function invalidState(): BadRequestError {
  return new BadRequestError({
    code: "invalid_oauth_state",
    message: "The authorisation request is unknown, expired, already used or was started by someone else.",
    details: { field: "query.state" },
  });
}

export function stravaRouter(parameters: StravaRouterParameters): Router {
  const router = Router();
  router.get("/", requireSession, accountStatus(parameters));
  router.get("/connect", requireSession, connect(parameters));
  router.get("/callback", callback(parameters));
  router.delete("/", requireSession, unlink(parameters));
  router.get("/webhook", webhookHandshake(parameters));
  router.post("/webhook", webhookEvent(parameters));
  return router;
}

function oauthCookieOptions(config: StravaRouterParameters["config"], req: Request): CookieOptions {
  return {
    httpOnly: true,
    sameSite: "lax",
    secure: config.agentPublicUrl.startsWith("https:") || req.secure,
    path: `${req.baseUrl}/callback`,
  };
}

/** `GET /`: the linked account as the web app shows it (never tokens). */
function accountStatus({ store }: StravaRouterParameters): RequestHandler {
  return async (req, res) => {
    const { address } = sessionOf(req);
    const account = await store.providerAccounts.getByOwner({ provider: STRAVA_PROVIDER, owner: address });
    res.setHeader("Cache-Control", "no-store");
    res.json({
      provider: STRAVA_PROVIDER,
      linked: account !== null,
      athleteId: account?.athleteId ?? null,
      scope: account?.scope ?? null,
      revoked: account !== null && account.revokedAt !== null,
      linkedAt: account?.createdAt.toISOString() ?? null,
      syncedUntil: account?.syncedUntil?.toISOString() ?? null,
    });
  };
}

/** `GET /connect`: a fresh single-use state, bound to the wallet and to this browser's cookie. */
function connect({ settings, config, store, client }: StravaRouterParameters): RequestHandler {
  return async (req, res) => {
    const { address } = sessionOf(req);
    const state = randomBytes(32).toString("base64url");
    // Abandoned authorisations leave expired states behind: a bounded batch goes with every new one.
    await store.providerOauthStates.purgeExpired({ limit: 100 });
    await store.providerOauthStates.issue({
      state,
      provider: STRAVA_PROVIDER,
      owner: address,
      ttlMs: settings.stateTtlMs,
    });
    res.cookie(OAUTH_COOKIE_NAME, state, { ...oauthCookieOptions(config, req), maxAge: settings.stateTtlMs });
    res.setHeader("Cache-Control", "no-store");
    res.json({
      authorizeUrl: client.authorizeUrl({ state, redirectUri: settings.redirectUri, scope: settings.scope }),
    });
  };
}

type CallbackQuery = z.output<typeof callbackQuery>;

/** `GET /callback`: checks the state and the grant, exchanges the code, links the account, back to the web app. */
function callback(parameters: StravaRouterParameters): RequestHandler {
  const { settings, config } = parameters;
  return async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    const query = parseQuery(req, callbackQuery);
    const bound = cookieOf(req, OAUTH_COOKIE_NAME);
    res.clearCookie(OAUTH_COOKIE_NAME, oauthCookieOptions(config, req));
    const owner = await consumeState(parameters, req, query, bound);
    const granted = grantedActivityScopes(query);
    if (query.code === undefined) {
      throw new BadRequestError({
        code: "invalid_request",
        message: "query.code: is required",
        details: { field: "query.code" },
      });
    }
    const exchanged = await exchangeCode(parameters.client, query.code);
    await linkAccount(parameters, owner, exchanged, granted);
    const target = new URL(settings.webRedirectUrl);
    target.searchParams.set("provider", STRAVA_PROVIDER);
    target.searchParams.set("status", "connected");
    res.redirect(302, target.toString());
  };
}

/**
 * Consumes the state first, whatever follows (a state is good for one attempt only); it must match the
 * browser's cookie and, when a session comes along, its wallet. Returns the wallet that started the request.
 */
async function consumeState(
  { store }: StravaRouterParameters,
  req: Request,
  query: CallbackQuery,
  bound: string | undefined,
): Promise<string> {
  const record = await store.providerOauthStates.consume({ state: query.state, provider: STRAVA_PROVIDER });
  if (record === null) throw invalidState();
  const session = optionalSessionOf(req);
  if (typeof bound !== "string" || !sameSecret(bound, query.state)) throw invalidState();
  if (session !== null && session.address.toLowerCase() !== record.owner.toLowerCase()) throw invalidState();
  return record.owner;
}

/** The scopes granted on Strava's page; a refusal, or no activity scope among them, is a 400. */
function grantedActivityScopes(query: CallbackQuery): string[] {
  if (query.error !== undefined) {
    throw new BadRequestError({
      code: "provider_access_denied",
      message: "Strava access was not granted.",
      details: { field: "query.error", error: query.error },
    });
  }
  const granted = (query.scope ?? "").split(/[ ,]+/).filter((scope) => scope !== "");
  if (!ACTIVITY_SCOPES.some((scope) => granted.includes(scope))) {
    throw new BadRequestError({
      code: "insufficient_scope",
      message:
        "Reading activities was not granted: allow activity access on Strava's page and connect again.",
      details: { field: "query.scope", required: [...ACTIVITY_SCOPES], granted },
    });
  }
  return granted;
}

type ExchangedCode = Awaited<ReturnType<StravaClient["exchangeCode"]>>;

async function exchangeCode(client: StravaClient, code: string): Promise<ExchangedCode> {
  try {
    return await client.exchangeCode(code);
  } catch (error) {
    // 400 is Strava's answer to a bad, expired or reused code; a 401 would be our own credentials (503).
    if (error instanceof ProviderResponseError && error.status === 400) {
      throw new BadRequestError({
        code: "invalid_oauth_code",
        message: "Strava did not accept the authorisation code (expired or already used); connect again.",
        details: { field: "query.code" },
      });
    }
    throw error;
  }
}

/** Seals the tokens, links the athlete to the wallet (409 when linked to another) and audits it. */
async function linkAccount(
  { store, tokens, logger }: StravaRouterParameters,
  owner: string,
  exchanged: ExchangedCode,
  granted: string[],
): Promise<void> {
  const athleteId = String(exchanged.athlete.id);
  const sealed = tokens.seal(athleteId, {
    accessToken: exchanged.access_token,
    refreshToken: exchanged.refresh_token,
  });
  const account = await store.providerAccounts.link({
    provider: STRAVA_PROVIDER,
    athleteId,
    owner,
    accessToken: sealed.accessToken,
    refreshToken: sealed.refreshToken,
    expiresAt: new Date(exchanged.expires_at * 1000),
    scope: granted.join(","),
  });
  await store.auditLog.append({
    actor: account.owner,
    action: "provider.linked",
    subject: `provider:${STRAVA_PROVIDER}:athlete:${athleteId}`,
    details: { provider: STRAVA_PROVIDER, athleteId, scope: account.scope },
  });
  logger.info({ provider: STRAVA_PROVIDER, athleteId, owner: account.owner }, "provider account linked");
}

/** `DELETE /`: revokes access on Strava (best effort) and forgets the tokens. */
function unlink({ store, tokens, client, logger }: StravaRouterParameters): RequestHandler {
  return async (req, res) => {
    const { address } = sessionOf(req);
    const account = await store.providerAccounts.getByOwner({ provider: STRAVA_PROVIDER, owner: address });
    if (account === null) {
      throw new NotFoundError({
        code: "provider_not_linked",
        message: "No Strava account is linked to this wallet.",
        details: { provider: STRAVA_PROVIDER },
      });
    }
    if (account.revokedAt === null) {
      try {
        await tokens.withAccessToken(account, (token) => client.deauthorize(token));
      } catch (error) {
        // The tokens are forgotten anyway; the athlete can still revoke the app in Strava's settings.
        logger.warn(
          {
            provider: STRAVA_PROVIDER,
            athleteId: account.athleteId,
            code: error instanceof AgentError ? error.code : undefined,
          },
          "provider deauthorization failed; forgetting the tokens anyway",
        );
      }
    }
    await store.providerAccounts.remove({ provider: STRAVA_PROVIDER, owner: address });
    await store.auditLog.append({
      actor: address,
      action: "provider.unlinked",
      subject: `provider:${STRAVA_PROVIDER}:athlete:${account.athleteId}`,
      details: { provider: STRAVA_PROVIDER, athleteId: account.athleteId },
    });
    res.status(204).end();
  };
}

/** `GET /webhook`: Strava's subscription validation. */
function webhookHandshake({ settings }: StravaRouterParameters): RequestHandler {
  return (req, res) => {
    const query = parseQuery(req, stravaWebhookHandshakeSchema);
    if (query["hub.mode"] !== "subscribe") {
      throw new BadRequestError({
        code: "invalid_hub_mode",
        message: 'hub.mode must be "subscribe".',
        details: { field: "query.hub.mode" },
      });
    }
    if (!sameSecret(query["hub.verify_token"], settings.webhookVerifyToken.reveal())) {
      throw new ForbiddenError({
        code: "invalid_verify_token",
        message: "The verify token does not match.",
        details: { field: "query.hub.verify_token" },
      });
    }
    res.setHeader("Cache-Control", "no-store");
    res.status(200).json({ "hub.challenge": query["hub.challenge"] });
  };
}

/** `POST /webhook`: answered at once; events of this subscription are queued (a full queue drops them). */
function webhookEvent({ settings, queue, logger }: StravaRouterParameters): RequestHandler {
  return (req, res) => {
    const event = parseJsonBody(req, stravaWebhookEventSchema);
    const fields = webhookEventLogFields(event);
    if (settings.subscriptionId === undefined || event.subscription_id !== settings.subscriptionId) {
      logger.warn(
        { ...fields, subscriptionId: event.subscription_id },
        "webhook event of another subscription ignored",
      );
    } else if (!queue.push(event)) {
      logger.warn({ ...fields, queued: queue.size }, "webhook queue full; event dropped");
    } else {
      logger.debug(fields, "webhook event queued");
    }
    res.status(200).json({ received: true });
  };
}

/** What a log line says of a webhook event: the provider, the object and its aspect, the athlete. */
export function webhookEventLogFields(event: StravaWebhookEvent): Record<string, unknown> {
  return {
    provider: STRAVA_PROVIDER,
    objectType: event.object_type,
    aspectType: event.aspect_type,
    objectId: event.object_id,
    athleteId: event.owner_id,
  };
}
