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

const HSTS = "max-age=31536000; includeSubDomains";

/**
 * The headers, in the order helmet 8 wrote them with the options this module used to pass it (CSP with only
 * `default-src 'none'` and `frame-ancestors 'none'`, CORP `same-site`, `nosniff`, frameguard `deny`, everything
 * else off): fixed values, so one middleware setting them costs less than helmet's chain of one middleware per
 * header (test/http/securityHeaders.test.ts holds them to helmet's output).
 */
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  ["Content-Security-Policy", "default-src 'none';frame-ancestors 'none'"],
  ["Cross-Origin-Resource-Policy", "same-site"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
];

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    if (req.secure) res.setHeader("Strict-Transport-Security", HSTS);
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    res.removeHeader("X-Powered-By");
    next();
  };
}

/** `Cache-Control: no-store`: answers about a signed-in user are kept by no cache, shared or private. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};
