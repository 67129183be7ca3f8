/**
 * Sessions on requests. `loadSession` (mounted by createApp on /api) looks up the session cookie once per
 * request; routers then use `requireSession` as middleware and `sessionOf(req)` in handlers:
 *
 *   router.get("/workouts", requireSession, async (req, res) => {
 *     const { address } = sessionOf(req);
 *     ...
 *   });
 */
import type { Request, RequestHandler } from "express";
import type { Config } from "../config.ts";
import { UnauthorizedError } from "../http/httpErrors.ts";
import { sessionIdOf, sessionTokenOf } from "./sessionCookie.ts";
import type { Session, SessionStore } from "./stores.ts";

interface SessionState {
  session: Session | null;
  /** The store failed: anonymous routes go on, `requireSession` answers with this error (503). */
  error?: unknown;
}

const states = new WeakMap<Request, SessionState>();

export interface LoadSessionParameters {
  config: Config;
  sessions: SessionStore;
}

export function loadSession({ config, sessions }: LoadSessionParameters): RequestHandler {
  return async (req, _res, next) => {
    if (states.has(req)) return next();
    const id = sessionIdOf(sessionTokenOf(req, config));
    if (id === null) {
      states.set(req, { session: null });
      return next();
    }
    try {
      states.set(req, { session: await sessions.get(id) });
    } catch (error) {
      req.log?.warn({ err: error }, "session lookup failed");
      states.set(req, { session: null, error });
    }
    next();
  };
}

/** The signed-in session, or null (also null when `loadSession` did not run). */
export function optionalSessionOf(req: Request): Session | null {
  return states.get(req)?.session ?? null;
}

/** The signed-in session or null when signed out; throws the store's error when the lookup failed (503). */
export function currentSessionOf(req: Request): Session | null {
  const state = states.get(req);
  if (state?.error !== undefined) throw state.error;
  return state?.session ?? null;
}

/** The signed-in session; throws 401 `unauthenticated` when there is none. */
export function sessionOf(req: Request): Session {
  const session = currentSessionOf(req);
  if (session === null) {
    throw new UnauthorizedError({ code: "unauthenticated", message: "Sign in with Ethereum first." });
  }
  return session;
}

/** Middleware: 401 problem unless the request carries a valid session. */
export const requireSession: RequestHandler = (req, _res, next) => {
  sessionOf(req);
  next();
};

/** Forget the request's session (after logout or a new sign-in). */
export function clearRequestSession(req: Request): void {
  states.set(req, { session: null });
}
