/**
 * Security headers for what the agent is: a JSON API that serves no HTML, no scripts and no frames. Following
 * the OWASP REST Security cheat sheet ("headers for all API responses"), every answer carries
 * - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` (nothing may load from an answer, nor
 *   frame it) and `X-Frame-Options: DENY` for browsers without CSP level 2;
 * - `X-Content-Type-Options: nosniff` (answers are never sniffed into HTML or script);
 * - `Cross-Origin-Resource-Policy: same-site` (another site cannot pull an answer into its page, the web app on
 *   the same site can);
 * - `Strict-Transport-Security` on answers sent over HTTPS (directly, or through a trusted proxy that says so),
 *   and only there: RFC 6797 §7.2 forbids it over plain HTTP, where browsers ignore it anyway.
 * `Cache-Control: no-store` is set on every /api answer by createApp (`noStore`); health and metrics set their own.
 * The headers the cheat sheet lists for HTML documents (Cross-Origin-Opener-Policy, Referrer-Policy,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection) are left out: the agent sends no documents, and every header is paid for on every answer.
 */
import type { RequestHandler } from "express";
import helmet from "helmet";

const HSTS = "max-age=31536000; includeSubDomains";

export function securityHeaders(): RequestHandler {
  const helmetHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: "same-site" },
    frameguard: { action: "deny" },
    xContentTypeOptions: true,
    xPoweredBy: true,
    crossOriginOpenerPolicy: false,
    referrerPolicy: false,
    strictTransportSecurity: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  return (req, res, next) => {
    if (req.secure) res.setHeader("Strict-Transport-Security", HSTS);
    helmetHeaders(req, res, next);
  };
}

/** `Cache-Control: no-store`: answers about a signed-in user are kept by no cache, shared or private. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};
