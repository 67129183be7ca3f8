/**
 * Express middleware applying a `Limiter` per client IP and per signed-in address. createApp mounts the API
 * limit on every /api request, the agent limit on /api/agent and the upload limit on `UPLOAD_PATHS`; routers
 * may add `limitRequests(limits.upload)` to other routes. A refusal is a 429 problem with `Retry-After`.
 */
import { isIPv6 } from "node:net";
import type { Request, RequestHandler } from "express";
import { optionalSessionOf } from "../auth/session.ts";
import { TooManyRequestsError } from "../http/httpErrors.ts";
import type { Limiter } from "./rateLimits.ts";

/** Upload routes (PRODUCT.md) that count against the upload limit, besides the API limit. */
export const UPLOAD_PATHS: readonly string[] = ["/api/workouts/upload", "/api/calendar"];

function expandIPv6(ip: string): string[] {
  const [head = "", tail = ""] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const missing = ip.includes("::") ? 8 - left.length - right.length : 0;
  return [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right];
}

/**
 * The rate-limit key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix
 * (one subscriber usually holds a whole /64, so per-address keys would be free to rotate).
 */
export function clientKey(ip: string | undefined): string {
  if (ip === undefined || ip === "") return "ip:unknown";
  if (!ip.includes(":")) return `ip:${ip}`; // IPv4
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1] !== undefined) return `ip:${mapped[1]}`;
  if (!isIPv6(ip)) return `ip:${ip}`;
  const groups = expandIPv6(ip.split("%")[0] ?? ip)
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16));
  return `ip:${groups.join(":")}::/64`;
}

export type LimitBy = "ip" | "address" | "both";

async function check(limiter: Limiter, key: string): Promise<void> {
  const decision = await limiter.consume(key);
  if (decision.allowed) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new TooManyRequestsError({
    code: "rate_limited",
    message: `Too many requests; retry in ${retryAfterSeconds} s.`,
    details: { limit: limiter.name, retryAfterSeconds },
  });
}

function keysOf(req: Request, by: LimitBy): string[] {
  const keys: string[] = [];
  if (by !== "address") keys.push(clientKey(req.ip));
  const session = by === "ip" ? null : optionalSessionOf(req);
  if (session !== null) keys.push(`address:${session.address.toLowerCase()}`);
  return keys;
}

export function limitRequests(limiter: Limiter, { by = "both" }: { by?: LimitBy } = {}): RequestHandler {
  return async (req, _res, next) => {
    for (const key of keysOf(req, by)) await check(limiter, key);
    next();
  };
}
