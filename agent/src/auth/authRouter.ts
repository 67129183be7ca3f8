/**
 * Sign-In with Ethereum routes (mounted at /api/auth, behind createApp's `Cache-Control: no-store`):
 * - `POST /auth/nonce` → `{ nonce, domain, uri, chainId }`: a fresh single-use nonce and the exact values the
 *   agent will check, so any client can build the EIP-4361 message.
 * - `POST /auth/verify` `{ message, signature }` → `200 { address }` and an HttpOnly session cookie.
 * - `POST /auth/logout` → `204`, the session deleted and the cookie cleared.
 * - `GET /auth/session` → `{ address, chainId, expiresAt }`, or 401.
 */
import { Router } from "express";
import { generateSiweNonce } from "viem/siwe";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { parseJsonBody } from "../http/parseRequest.ts";
import { clearRequestSession, optionalSessionOf, requireSession, sessionOf } from "./session.ts";
import {
  newSessionToken,
  sessionCookieBase,
  sessionCookieOptions,
  sessionIdOf,
  sessionTokenOf,
} from "./sessionCookie.ts";
import type { NonceStore, SessionStore } from "./stores.ts";
import { verifySiweSignIn } from "./verifySiweSignIn.ts";

export interface AuthRouterParameters {
  config: Config;
  clock: Clock;
  nonces: NonceStore;
  sessions: SessionStore;
}

const verifyBody = z.strictObject({
  message: z.string().min(1).max(4096),
  signature: z
    .string()
    .regex(/^0x([0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/, "must be a 0x-prefixed 64- or 65-byte hex signature")
    .transform((value) => value as `0x${string}`),
});

export function authRouter({ config, clock, nonces, sessions }: AuthRouterParameters): Router {
  const router = Router();
  router.post("/nonce", async (_req, res) => {
    const nonce = generateSiweNonce();
    await nonces.issue(nonce, config.session.nonceTtlMs);
    res.json({ nonce, domain: config.siwe.domain, uri: config.siwe.uri, chainId: config.chainId });
  });

  router.post("/verify", async (req, res) => {
    const { message, signature } = parseJsonBody(req, verifyBody);
    const { address, chainId } = await verifySiweSignIn({
      message,
      signature,
      expected: { domain: config.siwe.domain, uri: config.siwe.uri, chainId: config.chainId },
      nonces,
      now: clock.now(),
    });
    // A sign-in always mints a new token (no session fixation) and retires the one the browser held.
    const previous = optionalSessionOf(req);
    if (previous !== null) await sessions.delete(previous.id);
    const token = newSessionToken();
    const id = sessionIdOf(token) as string;
    await sessions.create({ id, address, chainId, ttlMs: config.session.ttlMs });
    clearRequestSession(req);
    res.cookie(config.session.cookieName, token, sessionCookieOptions(config, req));
    res.json({ address });
  });

  router.post("/logout", async (req, res) => {
    const id = sessionIdOf(sessionTokenOf(req, config));
    if (id !== null) await sessions.delete(id);
    clearRequestSession(req);
    res.clearCookie(config.session.cookieName, sessionCookieBase(config, req));
    res.status(204).end();
  });

  router.get("/session", requireSession, (req, res) => {
    const { address, chainId, expiresAt } = sessionOf(req);
    res.json({ address, chainId, expiresAt: expiresAt.toISOString() });
  });

  return router;
}
