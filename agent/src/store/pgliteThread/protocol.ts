/**
 * The messages between the event loop's thread and the database thread (worker.ts), and how an error crosses
 * between them. Both ends are this code base, so the shapes are types, not schemas: nothing from outside the
 * process is ever posted.
 *
 * Every request carries an `id` the reply repeats. A transaction opened from the event loop (`begin`) is a
 * PGlite transaction held open on the database thread until its `end`; the statements in between carry its
 * `txId`. `work` runs a unit of work registered in `services/databaseThreadWork.ts` in one transaction on the
 * database thread, so a use case's statements cost no crossing each.
 */
import { AGENT_ERROR_CLASSES, AgentError } from "../../errors.ts";
import type { StoreChange } from "../storeChange.ts";

/** The options of a statement that can cross: PGlite's, without functions. */
export interface ThreadQueryOptions {
  rowMode?: "array" | "object";
  /** Type OIDs whose values are returned as PostgreSQL's text; the caller's parsers for them run on its side. */
  rawTypes?: number[];
}

export type ThreadRequest =
  | { id: number; op: "query"; txId?: number; sql: string; params: unknown[]; options: ThreadQueryOptions }
  | { id: number; op: "exec"; txId?: number; sql: string }
  | { id: number; op: "begin"; txId: number }
  | { id: number; op: "end"; txId: number; commit: boolean }
  | { id: number; op: "work"; name: string; input: unknown; clockNow: number; leaseClockNow: number }
  | { id: number; op: "checkpoint"; thresholdBytes?: number }
  | { id: number; op: "vacuum" }
  | { id: number; op: "close" };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: CrossedError };

/** What the database thread posts once, when PGlite is open and migrated (or could not be). */
export type ThreadReady = { ready: true } | { ready: false; error: CrossedError };

/**
 * A unit of work's answer (its result, and the store changes its writes reported, published after the commit) as it
 * crosses: the result serialised once on the database thread (`v8.serialize`, the
 * structured clone's own format), before the commit, and its bytes transferred rather than copied. Serialising
 * it there decides whether it can cross while the work can still be rolled back; posting the result itself would
 * clone it a second time on the thread every request waits for.
 */
export interface WorkReplyOnTheWire {
  result: Uint8Array;
  changes: StoreChange[];
}

/** An error as it crosses: the agent's typed errors by class, a driver's by its fields (SQLSTATE, constraint). */
export interface CrossedError {
  name: string;
  message: string;
  agentClass?: string;
  code?: string;
  details?: Record<string, unknown>;
  constraint?: string;
  table?: string;
  detail?: string;
  severity?: string;
  /** The stack where it was thrown (the database thread's, for errors from there). */
  stack?: string;
  cause?: CrossedError;
}

const DRIVER_FIELDS = ["code", "constraint", "table", "detail", "severity"] as const;

/** `error` as it can be posted; a driver error keeps its SQLSTATE and constraint, never its query's parameters. */
export function crossError(error: unknown, depth = 0): CrossedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const crossed: CrossedError = {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
  };
  if (error instanceof AgentError) {
    crossed.agentClass = nearestAgentClass(error);
    crossed.code = error.code;
    crossed.details = structuredCloneable(error.details);
  } else {
    const fields = error as unknown as Record<string, unknown>;
    for (const field of DRIVER_FIELDS) {
      const value = fields[field];
      if (typeof value === "string") crossed[field] = value;
    }
  }
  if (error.cause !== undefined && depth < 4) crossed.cause = crossError(error.cause, depth + 1);
  return crossed;
}

/** The name of the nearest class of `error`'s prototype chain that crosses as itself. */
function nearestAgentClass(error: AgentError): string {
  for (
    let proto: unknown = Object.getPrototypeOf(error);
    proto !== null;
    proto = Object.getPrototypeOf(proto)
  ) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (
      typeof name === "string" &&
      Object.hasOwn(AGENT_ERROR_CLASSES, name) &&
      AGENT_ERROR_CLASSES[name]?.prototype === proto
    ) {
      return name;
    }
  }
  return "AgentError";
}

/**
 * What `answer` posts when `error` itself cannot be described (details that neither clone nor serialise): its
 * name and message, never nothing.
 */
export function crossErrorSafely(error: unknown): CrossedError {
  try {
    return crossError(error);
  } catch {
    return error instanceof Error
      ? { name: error.name, message: error.message }
      : { name: "Error", message: "an error that could not be described" };
  }
}

/** `WebAssembly.RuntimeError` (the project's TypeScript libraries do not declare the WebAssembly namespace). */
export const WASM_RUNTIME_ERROR = (
  globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
).WebAssembly.RuntimeError;

/**
 * True when PGlite itself broke, at `error` or along its causes: Emscripten's `abort()` throws a
 * `WebAssembly.RuntimeError` (or an error whose message starts with "Aborted("), after which PGlite answers nothing
 * correctly again.
 */
export function pgliteBroke(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const { message, cause } = current;
    if (current instanceof WASM_RUNTIME_ERROR || message.startsWith("Aborted(")) return true;
    current = cause;
  }
  return false;
}

/** The error `crossed` describes, rebuilt on this side: the same class for the agent's errors. */
export function rebuildError(crossed: CrossedError): Error {
  const cause = crossed.cause === undefined ? undefined : rebuildError(crossed.cause);
  if (crossed.agentClass !== undefined) {
    const ErrorClass = AGENT_ERROR_CLASSES[crossed.agentClass] ?? AgentError;
    const error = new ErrorClass({
      code: crossed.code ?? "error",
      message: crossed.message,
      details: crossed.details ?? {},
      cause,
    });
    // The class's name is the nearest one that crosses; the thrown class's name and stack are kept for logs.
    error.name = crossed.name;
    if (crossed.stack !== undefined) error.stack = crossed.stack;
    return error;
  }
  const error = new Error(crossed.message, cause === undefined ? undefined : { cause });
  error.name = crossed.name;
  if (crossed.stack !== undefined) error.stack = crossed.stack;
  for (const field of DRIVER_FIELDS) {
    if (crossed[field] !== undefined) Object.assign(error, { [field]: crossed[field] });
  }
  return error;
}

/** `details` when it can be posted, else its JSON (details are JSON-shaped by convention; this keeps a stray value from failing the reply). */
function structuredCloneable(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(details);
  } catch {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  }
}
