/**
 * Cross-site request forgery guard. CORS only protects what a browser must preflight; a form or `fetch` with
 * `mode: "no-cors"` from any site can still send a "simple" request (multipart upload, a POST without a body
 * such as attestation, claim or logout) with the user's cookie, and the agent would act on it. So every
 * state-changing request (POST, PUT, PATCH, DELETE) that carries an `Origin` outside the allowlist (the web app's
 * origin) is refused with 403 `origin_refused` before anything reads its body. A request without `Origin` comes
 * from outside a browser (curl, a provider's webhook, a server) and cannot carry a victim's cookie by accident.
 *
 * Every answer also says `Vary: Origin`: the CORS headers depend on it, refused origins included, so a shared cache
 * must never hand one origin's answer to another.
 */
import type { RequestHandler } from "express";
import { ForbiddenError } from "../errors.ts";

const UNSAFE_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface OriginGuardParameters {
  /** Origins allowed to change state (exact `scheme://host[:port]`). */
  allowed: readonly string[];
}

export function originGuard({ allowed }: OriginGuardParameters): RequestHandler {
  const allowlist = new Set(allowed);
  return (req, res, next) => {
    res.vary("Origin");
    const origin = req.headers.origin;
    if (origin === undefined || !UNSAFE_METHODS.has(req.method) || allowlist.has(origin)) return next();
    next(
      new ForbiddenError({
        code: "origin_refused",
        message: "This request comes from a site that may not act on this agent.",
        details: { field: "origin" },
      }),
    );
  };
}
