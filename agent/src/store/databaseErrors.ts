/**
 * Maps driver failures to the agent's typed errors, identically for PGlite and node-postgres:
 * - SQLSTATE class 23 (integrity constraint violation) → `ConflictError`, with a stable code chosen by
 *   constraint name (see `conflictCodes`), else one per SQLSTATE;
 * - anything else from the driver (connection refused, timeout, closed database, ...) → `DependencyError`.
 * Agent errors thrown inside a store call (validation, not found, ...) pass through unchanged.
 *
 * The `cause` is the driver's own error, not drizzle's `DrizzleQueryError` wrapper, whose message repeats the
 * query parameters (session ids, signatures) and must not end up in logs.
 */
import { DrizzleQueryError } from "drizzle-orm";
import { AgentError, ConflictError, DependencyError } from "../errors.ts";

/** Stable ConflictError codes for the constraints callers need to tell apart. Add, never rename. */
const conflictCodes: Record<string, string> = {
  workouts_owner_content_hash_key: "duplicate",
  workouts_pkey: "workout_id_taken",
  siwe_nonces_pkey: "nonce_exists",
  sessions_pkey: "session_exists",
  audit_log_append_only: "append_only",
};

const conflictCodesBySqlState: Record<string, string> = {
  "23505": "unique_violation",
  "23514": "check_violation",
  "23502": "not_null_violation",
  "23503": "foreign_key_violation",
  "23001": "restrict_violation",
};

/** The fields both drivers' error objects carry (pg's DatabaseError and PGlite's share pg-protocol's shape). */
export interface DriverError {
  code: string;
  message: string;
  constraint?: string;
  table?: string;
}

/** The first error along the `cause` chain that carries a SQLSTATE or a system error code. */
export function findDriverError(error: unknown): DriverError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const candidate = current as Error & { code?: unknown };
    if (typeof candidate.code === "string" && !(current instanceof AgentError)) {
      return candidate as DriverError;
    }
    current = current.cause;
  }
  return undefined;
}

/** The error without drizzle's query wrapper (whose message lists the parameters). */
function unwrapQueryError(error: unknown): unknown {
  return error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
}

function isSqlState(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}

export function mapDatabaseError(error: unknown, operation: string): AgentError {
  if (error instanceof AgentError) return error;
  const driverError = findDriverError(error);
  const code = driverError?.code;
  if (driverError !== undefined && code !== undefined && isSqlState(code) && code.startsWith("23")) {
    const constraint = driverError.constraint;
    return new ConflictError({
      code:
        (constraint !== undefined ? conflictCodes[constraint] : undefined) ??
        conflictCodesBySqlState[code] ??
        "constraint_violation",
      message: `The ${operation} conflicts with existing data.`,
      details: { operation, sqlState: code, constraint, table: driverError.table },
      cause: driverError,
    });
  }
  return new DependencyError({
    code: "database_error",
    message: `The database failed during ${operation}.`,
    details: { operation, ...(code !== undefined ? { driverCode: code } : {}) },
    cause: driverError ?? unwrapQueryError(error),
  });
}

/** Runs one store operation and maps whatever the driver throws. */
export async function withDatabaseErrors<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapDatabaseError(error, operation);
  }
}
