/**
 * zod schemas for values entering the store, and the conversions applied on the way out. Repositories parse
 * their input with `parseInput` and then use only the parsed value.
 */
import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";
import { ValidationError } from "../errors.ts";

const MAX_UINT256 = 2n ** 256n - 1n;

/** An address in any valid spelling (lower case, upper case or correct EIP-55 checksum), stored lower-case. */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address (0x + 40 hex)")
  .refine(
    (value) => {
      const digits = value.slice(2);
      return (
        digits === digits.toLowerCase() ||
        digits === digits.toUpperCase() ||
        isAddress(value, { strict: true })
      );
    },
    { message: "mixed-case address with an invalid EIP-55 checksum" },
  )
  .transform((value) => value.toLowerCase() as Address);

/** 32 bytes as 0x-hex (rules hash, content hash, evidence hash, block hash), stored lower-case. */
export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of 0x-prefixed hex")
  .transform((value) => value.toLowerCase() as Hex);

/** Non-empty 0x-hex bytes (a signature), stored lower-case. */
export const hexBytesSchema = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})+$/, "must be 0x-prefixed hex bytes")
  .transform((value) => value.toLowerCase() as Hex);

export const uint256Schema = z.bigint().min(0n).max(MAX_UINT256);

/** Non-negative whole number that fits a JS number exactly (block numbers, unix seconds). */
export const safeUintSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const chainIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const dateSchema = z.date();

/** Time-to-live in milliseconds: at least 1 ms, at most 400 days. */
export const ttlMsSchema = z
  .number()
  .int()
  .min(1)
  .max(400 * 24 * 60 * 60 * 1000);

/** A short identifier or label (names, keys, actors). */
export const labelSchema = z.string().min(1).max(256);

/** How deep a JSON value may nest (a cycle is refused as too deep, not followed forever). */
export const JSON_DEPTH_MAX = 64;

/** zod's own test of a plain object (its `util.isPlainObject`): what `z.record` accepts. */
function isPlainObject(value: object): boolean {
  const maker: unknown = (value as { constructor?: unknown }).constructor;
  if (maker === undefined || typeof maker !== "function") return true;
  const prototype: unknown = maker.prototype;
  return typeof prototype === "object" && prototype !== null && Object.hasOwn(prototype, "isPrototypeOf");
}

function hasEnumerableSymbol(value: object): boolean {
  return Object.getOwnPropertySymbols(value).some((key) =>
    Object.prototype.propertyIsEnumerable.call(value, key),
  );
}

/**
 * Whether `value` is exactly what JSON carries: strings, finite numbers, booleans, null, arrays of JSON and plain
 * objects of JSON, at most `JSON_DEPTH_MAX` deep. What `z.record(z.string(), z.json())` accepted, checked in one
 * walk (zod's union of six schemas per value cost ~12 µs per audit entry on the ingest path), but for keys JSON
 * would lose or misread, refused rather than dropped: an enumerable symbol key and a `__proto__` key (zod dropped
 * it silently). The value is kept as given: the caller's object is what gets stored, not a copy.
 */
export function isJsonValue(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= JSON_DEPTH_MAX) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJsonValue(value[i], depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(value) || hasEnumerableSymbol(value)) return false;
      for (const key of Object.keys(value)) {
        if (key === "__proto__" || !isJsonValue((value as Record<string, unknown>)[key], depth + 1))
          return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** JSON object details (audit log), rejecting values JSON cannot carry (bigint, undefined, functions, NaN). */
export const jsonObjectSchema = z.custom<Record<string, z.core.util.JSONType>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && isJsonValue(value),
  {
    message: `must be a JSON object (strings, finite numbers, booleans, null, arrays, plain objects; at most ${JSON_DEPTH_MAX} deep)`,
  },
);

/** Parses `value` or throws a ValidationError naming what was invalid. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError({
      code: "invalid_store_input",
      message: `Invalid ${what}.`,
      details: {
        what,
        issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      },
      cause: result.error,
    });
  }
  return result.data;
}

const wholeNumberSchema = z.number().int();

/** A page size: a whole number, clamped into `1..max`; `undefined` means `fallback`. */
export function boundedLimit(limit: number | undefined, bounds: { fallback: number; max: number }): number {
  if (limit === undefined) return bounds.fallback;
  const whole = parseInput(wholeNumberSchema, limit, "limit");
  return Math.min(Math.max(whole, 1), bounds.max);
}

/** Stored lower-case address → EIP-55 checksummed address. */
export function toAddress(stored: string): Address {
  return getAddress(stored);
}

/** A row as its record: every column as stored, the lower-case `owner` checksummed (EIP-55). */
export function withOwnerAddress<Row extends { owner: string }>(
  row: Row,
): Omit<Row, "owner"> & { owner: Address } {
  return { ...row, owner: toAddress(row.owner) };
}

export function toHex(stored: string): Hex {
  return stored as Hex;
}
