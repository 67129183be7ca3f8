/**
 * The session cookie: a random 256-bit token the browser holds (HttpOnly, SameSite, Secure over https); the
 * server stores only its sha256, so a leaked store does not leak usable sessions.
 */
import { hash, randomBytes } from "node:crypto";
import type { CookieOptions, Request } from "express";
import type { Config } from "../config.ts";
import { cookieOf } from "../http/cookies.ts";

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The store id of a token; null when the cookie value cannot be one of our tokens. */
export function sessionIdOf(token: unknown): string | null {
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return null;
  return hash("sha256", token, "hex");
}

export function sessionTokenOf(req: Request, config: Config): string | undefined {
  return cookieOf(req, config.session.cookieName);
}

/** Cookie attributes without lifetime (what `clearCookie` needs). */
export function sessionCookieBase(config: Config, req: Request): CookieOptions {
  return {
    httpOnly: true,
    sameSite: config.session.sameSite,
    secure: config.agentPublicUrl.startsWith("https:") || req.secure,
    path: "/",
  };
}

export function sessionCookieOptions(config: Config, req: Request): CookieOptions {
  return { ...sessionCookieBase(config, req), maxAge: config.session.ttlMs };
}
