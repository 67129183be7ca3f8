/**
 * Uploaded files are parsed and hashed off the event loop: a pool of worker threads (piscina) sized to the
 * cores, with a bounded backlog. A 25 MiB file takes a core for a few hundred milliseconds (XML reading, FIT
 * decoding, keccak over every byte); on the event loop that would stall every other request for as long.
 *
 * Guarantees:
 * - the result is what `parseWorkoutFile` gives in process (the same function runs in the worker; typed errors
 *   come back as the same classes with the same code, message and details — `test/workouts/workoutParsePool.test.ts`);
 * - at most `threads + queueMax` files are held at once (each up to the upload limit); the next one is refused
 *   at once with `ServiceBusyError` `server_busy` (HTTP 503 with `Retry-After: retryAfterSeconds`) instead of
 *   waiting in an unbounded queue;
 * - the file's bytes are moved to the worker, not copied, when they are their whole buffer or the caller says it
 *   owns the buffer (`{ ownsBuffer: true }`: the view's offset and length travel with it); either way the caller
 *   must not read them afterwards. Bytes in shared memory (the upload route's buffer pool) are shared with the
 *   worker, which copies them before parsing; the caller keeps them unchanged until `parse` settles;
 * - `close()` waits for the files in flight, then stops the threads.
 *
 * The worker is `parseWorker.ts`, loaded from the TypeScript source like the rest of the agent (Node 22 strips
 * the types in workers too).
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { DependencyError, TooLargeError, UnsupportedError, ValidationError } from "../errors.ts";
import type { ParseOutcome, ParseTask } from "./parseWorker.ts";
import type { ParsedWorkout, WorkoutFileLimits } from "./parseWorkoutFile.ts";

/**
 * The pool is full: `details.retryAfterSeconds` says when to try again (the upload route sends it as
 * `Retry-After`). HTTP 503 (a DependencyError).
 */
export class ServiceBusyError extends DependencyError {}

export interface WorkoutParsePoolOptions {
  /** Worker threads; default: the cores (`os.availableParallelism()`). */
  threads?: number;
  /** Files that may wait for a thread beyond those being parsed; default 2 per thread. */
  queueMax?: number;
  /** The `Retry-After` of a refusal, seconds; default 2. */
  retryAfterSeconds?: number;
  /**
   * Threads started up front and kept when idle; default 0: threads start with the first uploads (~0.3 s once)
   * and stop after a minute without work, so an idle agent neither pays their memory nor slows its own start.
   */
  minThreads?: number;
}

export interface ParseOptions {
  /**
   * No one else reads `bytes.buffer` (an upload's own buffer, possibly larger than the file): it is moved to the
   * worker whole, with the view's offset and length, instead of the file being copied.
   */
  ownsBuffer?: boolean;
}

export interface WorkoutParsePool {
  parse(bytes: Uint8Array, limits: WorkoutFileLimits, options?: ParseOptions): Promise<ParsedWorkout[]>;
  /** Files being parsed or waiting. */
  readonly inFlight: number;
  readonly capacity: number;
  close(): Promise<void>;
}

const WORKER = fileURLToPath(new URL("./parseWorker.ts", import.meta.url));

function rebuild(error: Extract<ParseOutcome, { ok: false }>["error"]): Error {
  const parameters = {
    code: error.code,
    message: error.message,
    details: error.details,
  };
  if (error.kind === "TooLargeError") return new TooLargeError(parameters);
  if (error.kind === "UnsupportedError") return new UnsupportedError(parameters);
  return new ValidationError(parameters);
}

export function createWorkoutParsePool(options: WorkoutParsePoolOptions = {}): WorkoutParsePool {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const queueMax = Math.max(0, Math.floor(options.queueMax ?? 2 * threads));
  const retryAfterSeconds = options.retryAfterSeconds ?? 2;
  const capacity = threads + queueMax;
  const pool = new Piscina<ParseTask, ParseOutcome>({
    filename: WORKER,
    minThreads: Math.min(threads, options.minThreads ?? 0),
    maxThreads: threads,
    // Our own count below refuses first; piscina's bound is a second fence.
    maxQueue: queueMax + threads,
    idleTimeout: 60_000,
  });
  let inFlight = 0;
  let closed = false;

  return {
    get inFlight() {
      return inFlight;
    },
    capacity,
    async parse(bytes, limits, parseOptions = {}) {
      if (closed || inFlight >= capacity) {
        throw new ServiceBusyError({
          code: "server_busy",
          message: "Too many uploads are being processed; try again shortly.",
          details: { field: "file", retryAfterSeconds, capacity },
        });
      }
      inFlight += 1;
      try {
        const ownsBuffer =
          bytes.buffer instanceof ArrayBuffer &&
          (parseOptions.ownsBuffer === true ||
            (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength));
        const outcome = await pool.run(
          { bytes, limits },
          ownsBuffer ? { transferList: [bytes.buffer as ArrayBuffer] } : {},
        );
        if (!outcome.ok) throw rebuild(outcome.error);
        return outcome.workouts;
      } finally {
        inFlight -= 1;
      }
    },
    async close() {
      closed = true;
      await pool.close();
    },
  };
}
