/**
 * Parsers for environment values, shared by the agent's config and the feature configs it merges (coach,
 * providers). Each takes the raw string and yields a typed value, or an issue whose message names what is
 * expected, never the value (it may be a secret).
 */
import { inspect } from "node:util";
import { getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";

/** pino's levels; `LOG_LEVEL` must be one of them. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A secret value that does not print: `String()`, `JSON.stringify` and `util.inspect` (so pino and
 * console.log) show `[redacted]`. Call `reveal()` where the raw value is really needed.
 */
export class Secret<T extends string = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return "[redacted]";
  }

  toJSON(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "[redacted]";
  }
}

/** secp256k1 group order: a private key is an integer in [1, n). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export function fail(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

export function integer(min: number, max: number, message = `must be a whole number from ${min} to ${max}`) {
  return z.string().transform((raw, ctx) => {
    if (!/^\d{1,16}$/.test(raw)) return fail(ctx, message);
    const value = Number(raw);
    if (value < min || value > max) return fail(ctx, message);
    return value;
  });
}

export function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

export function urlWithProtocols(protocols: readonly string[], message: string) {
  return z.string().transform((raw, ctx) => {
    const url = parseUrl(raw);
    if (url === null || !protocols.includes(url.protocol) || url.hostname === "") return fail(ctx, message);
    return raw;
  });
}

export const httpOrigin = z.string().transform((raw, ctx) => {
  const url = parseUrl(raw);
  const message = "must be an http(s) origin without a path, e.g. https://app.example.com";
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return fail(ctx, message);
  if (raw.replace(/\/$/, "") !== url.origin) return fail(ctx, message);
  return url.origin;
});

export const privateKey = z.string().transform((raw, ctx) => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) return fail(ctx, "must be a 0x-prefixed 32-byte hex private key");
  const scalar = BigInt(raw);
  if (scalar === 0n || scalar >= SECP256K1_N) return fail(ctx, "is not a valid secp256k1 private key");
  return new Secret(raw as Hex);
});

/** A contract address: any 0x address but the zero one, checksummed. */
export const nonZeroAddress = z
  .string()
  .refine(
    (raw) => isAddress(raw, { strict: false }) && !/^0x0{40}$/i.test(raw),
    "must be a non-zero 0x address",
  )
  .transform((raw) => getAddress(raw));

export const boolean = z
  .enum(["true", "false"], { error: "must be true or false" })
  .transform((raw) => raw === "true");
