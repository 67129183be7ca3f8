/**
 * The agent's structured logger (pino). Cookies, authorization headers, keys and connection strings are
 * redacted wherever they appear in a logged object, so a careless `log.info({ req })` cannot leak them.
 */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./configValues.ts";

export type { Logger };

/** Paths pino replaces with `[redacted]` (one level of wildcard, as pino supports). */
export const REDACTED_PATHS: readonly string[] = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  "headers.cookie",
  "headers.authorization",
  "cookie",
  "authorization",
  "privateKey",
  "oraclePrivateKey",
  "password",
  "secret",
  "token",
  "databaseUrl",
  "redisUrl",
  "rpcUrl",
  "*.privateKey",
  "*.oraclePrivateKey",
  "*.password",
  "*.secret",
  "*.token",
  "*.databaseUrl",
  "*.redisUrl",
  "*.rpcUrl",
];

export interface CreateLoggerParameters {
  level: LogLevel;
  /** Where lines go; standard output when absent (tests pass a collecting stream). */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ service: "agent" }`. */
  base?: Record<string, unknown>;
  /** Fields added to every line when it is written (the trace and span ids while tracing is on). */
  mixin?: (() => object) | undefined;
}

export type CreateLoggerReturnType = Logger;

export function createLogger({
  level,
  destination,
  base,
  mixin,
}: CreateLoggerParameters): CreateLoggerReturnType {
  const options = {
    level,
    ...(mixin === undefined ? {} : { mixin }),
    base: base ?? { service: "agent" },
    redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
