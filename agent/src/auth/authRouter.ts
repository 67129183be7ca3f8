/**
 * Sign-In with Ethereum routes (mounted at /api/auth, behind createApp's `Cache-Control: no-store`):
 * - `POST /auth/nonce` → `{ nonce, domain, uri, chainId }`: a fresh single-use nonce and the exact values the
 *   agent will check, so any client can build the EIP-4361 message.
 * - `POST /auth/verify` `{ message, signature }` → `200 { address }` and an HttpOnly session cookie. The signer
 *   may be an EOA or, when the agent has a chain client, a smart-contract wallet (EIP-1271; ERC-6492 before it
 *   is deployed). The session lasts `SESSION_TTL`, and never past the message's `Expiration Time`.
 * - `POST /auth/logout` → `204`, the session deleted and the cookie cleared.
 * - `GET /auth/session` → `200 { address, chainId, expiresAt }`, or `200 null` when signed out (being signed
 *   out is an answer, not an error a visitor's browser would log).
 */
import { Router } from "express";
import type { Client } from "viem";
import { generateSiweNonce } from "viem/siwe";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { parseJsonBody } from "../http/parseRequest.ts";
import { clearRequestSession, currentSessionOf, optionalSessionOf } from "./session.ts";
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
  /** A public client of the configured chain, to verify smart-wallet signatures. Without it: EOAs only. */
  chainClient?: Client | undefined;
}

/** Longest accepted signature: 8 KiB covers ERC-6492 wrappers (factory calldata) and multi-owner wallets. */
const MAX_SIGNATURE_BYTES = 8192;

export const verifyBody = z.strictObject({
  message: z.string().min(1).max(4096),
  signature: z
    .string()
    .max(2 + 2 * MAX_SIGNATURE_BYTES, `must be at most ${MAX_SIGNATURE_BYTES} bytes`)
    .regex(/^0x(?:[0-9a-fA-F]{2})+$/, "must be 0x-prefixed hex bytes")
    .transform((value) => value as `0x${string}`),
});

export function authRouter({ config, clock, nonces, sessions, chainClient }: AuthRouterParameters): Router {
  const router = Router();
  router.post("/nonce", async (_req, res) => {
    const nonce = generateSiweNonce();
    await nonces.issue(nonce, config.session.nonceTtlMs);
    res.json({ nonce, domain: config.siwe.domain, uri: config.siwe.uri, chainId: config.chainId });
  });

  router.post("/verify", async (req, res) => {
    const { message, signature } = parseJsonBody(req, verifyBody);
    const now = clock.now();
    const { address, chainId, expiresAt } = await verifySiweSignIn({
      message,
      signature,
      expected: { domain: config.siwe.domain, uri: config.siwe.uri, chainId: config.chainId },
      nonces,
      now,
      client: chainClient,
    });
    // Never past the message's `Expiration Time` (verifySiweSignIn refused one already past, so ttlMs >= 1).
    const ttlMs = Math.min(config.session.ttlMs, (expiresAt ?? Number.POSITIVE_INFINITY) - now);
    // A sign-in always mints a new token (no session fixation) and retires the one the browser held.
    const previous = optionalSessionOf(req);
    if (previous !== null) await sessions.delete(previous.id);
    const token = newSessionToken();
    const id = sessionIdOf(token) as string;
    await sessions.create({ id, address, chainId, ttlMs });
    clearRequestSession(req);
    res.cookie(config.session.cookieName, token, { ...sessionCookieOptions(config, req), maxAge: ttlMs });
    res.json({ address });
  });

  router.post("/logout", async (req, res) => {
    const id = sessionIdOf(sessionTokenOf(req, config));
    if (id !== null) await sessions.delete(id);
    clearRequestSession(req);
    res.clearCookie(config.session.cookieName, sessionCookieBase(config, req));
    res.status(204).end();
  });

  router.get("/session", (req, res) => {
    const session = currentSessionOf(req);
    if (session === null) {
      res.json(null);
      return;
    }
    const { address, chainId, expiresAt } = session;
    res.json({ address, chainId, expiresAt: expiresAt.toISOString() });
  });

  return router;
}
