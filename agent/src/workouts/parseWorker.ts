/**
 * The worker side of workoutParsePool.ts: one task = one uploaded file, parsed and hashed by the same
 * `parseWorkoutFile` the agent runs in process, with each track's replay fingerprint (`withFingerprints`). Errors cross the thread boundary as plain data (a structured
 * clone keeps no class), and the pool rebuilds the typed error on the other side.
 */
import { setPriority } from "node:os";
import { isMainThread } from "node:worker_threads";
import { AgentError, TooLargeError, UnsupportedError, ValidationError } from "../errors.ts";
import {
  type ParsedWorkout,
  parseWorkoutFile,
  type WorkoutFileLimits,
  withFingerprints,
} from "./parseWorkoutFile.ts";

/**
 * The lowest scheduling priority for this thread only (on Linux setpriority applies to the calling thread): when
 * the cores are busy, the event loop (answering every other request) runs first and parsing takes what is
 * left. Where it is not allowed, and on any system but Linux, the worker parses at normal priority. Only in a worker: this
 * module imported on the main thread (tests) must not lower the event loop.
 */
export const WORKER_NICENESS = 19;
// Linux only: elsewhere (macOS, the BSDs) setpriority with pid 0 lowers the whole process, event loop included.
if (!isMainThread && process.platform === "linux") {
  try {
    setPriority(WORKER_NICENESS);
  } catch {
    // Parsing at normal priority still works.
  }
}

export interface ParseTask {
  bytes: Uint8Array;
  limits: WorkoutFileLimits;
}

/** The typed errors parseWorkoutFile may throw, by name. */
export const PARSE_ERROR_KINDS = ["ValidationError", "TooLargeError", "UnsupportedError"] as const;
export type ParseErrorKind = (typeof PARSE_ERROR_KINDS)[number];

export type ParseOutcome =
  | { ok: true; workouts: ParsedWorkout[] }
  | {
      ok: false;
      error: {
        kind: ParseErrorKind;
        code: string;
        message: string;
        details: Record<string, unknown>;
      };
    };

function kindOf(error: AgentError): ParseErrorKind {
  if (error instanceof TooLargeError) return "TooLargeError";
  if (error instanceof UnsupportedError) return "UnsupportedError";
  return "ValidationError";
}

/**
 * The task's bytes in memory of this worker's own: a file in shared memory (a slot of the upload route's buffer
 * pool) is copied first, since the slot may be reused as soon as this task ends and TextDecoder refuses shared
 * memory; any other file is used as it came.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.buffer instanceof SharedArrayBuffer ? new Uint8Array(bytes) : bytes;
}

export default function parseInWorker({ bytes: received, limits }: ParseTask): ParseOutcome {
  const bytes = ownBytes(received);
  try {
    // The replay fingerprints too: resampling and hashing a long track took tens of milliseconds on the event loop.
    return { ok: true, workouts: withFingerprints(parseWorkoutFile(bytes, limits)) };
  } catch (error) {
    // parseWorkoutFile lets only AgentErrors escape (anything else becomes `corrupt_file`); a non-AgentError
    // here is a bug and rejects the task as it is.
    if (!(error instanceof AgentError)) throw error;
    if (
      !(
        error instanceof ValidationError ||
        error instanceof TooLargeError ||
        error instanceof UnsupportedError
      )
    ) {
      throw error;
    }
    // Details are JSON-like by construction (numbers, strings, small objects): a structured clone keeps them.
    return {
      ok: false,
      error: {
        kind: kindOf(error),
        code: error.code,
        message: error.message,
        details: error.details,
      },
    };
  }
}
