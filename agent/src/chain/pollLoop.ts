/**
 * A background loop for the indexer and the keeper: runs `run`, waits `intervalMs`, runs again; never two runs
 * at once. A failed run is logged and retried with exponential backoff (capped at `maxBackoffMs`); a run that
 * reports more work waiting (`{ again: true }`) is followed at once. `stop()` ends the wait, lets the current
 * run finish and resolves when the loop has exited.
 */
import type { Logger } from "../logger.ts";
import { reportError } from "../telemetry/errorReporting.ts";
import { inSpan } from "../telemetry/spans.ts";
import { realSleep, type Sleep } from "./sleep.ts";

export interface PollLoopRunResult {
  /** More work is waiting: run again without waiting. */
  again?: boolean;
}

export interface CreatePollLoopParameters {
  name: string;
  intervalMs: number;
  run: () => Promise<PollLoopRunResult | undefined>;
  logger: Logger;
  /**
   * Longest wait after failures. Default 10 000 ms (or `intervalMs` if larger): a run after an outage costs a
   * few requests, while a longer cap kept the indexer and keeper idle for up to a minute after the RPC or the
   * database was back (issue 17's load test measured it).
   */
  maxBackoffMs?: number;
  /** Most back-to-back runs (`again`) before waiting anyway. Default 100. */
  maxConsecutiveRuns?: number;
  sleep?: Sleep;
  /** Each run as a `<name>.run` span (default true); off for loops whose runs are only sampling. */
  traced?: boolean;
}

export interface PollLoop {
  /** Starts the loop (no-op when it already runs). */
  start(): void;
  /** Stops the loop; resolves once the current run (if any) has finished. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** The default cap of the failure backoff (see `maxBackoffMs`). */
export const DEFAULT_MAX_BACKOFF_MS = 10_000;

export function createPollLoop({
  name,
  intervalMs,
  run,
  logger,
  maxBackoffMs = DEFAULT_MAX_BACKOFF_MS,
  maxConsecutiveRuns = 100,
  sleep = realSleep,
  traced = true,
}: CreatePollLoopParameters): PollLoop {
  let loop: Promise<void> | undefined;
  let abort: AbortController | undefined;
  const backoffCap = Math.max(maxBackoffMs, intervalMs);

  const body = async (signal: AbortSignal) => {
    let failures = 0;
    let consecutive = 0;
    while (!signal.aborted) {
      let wait = intervalMs;
      try {
        // One trace per run (`keeper.run`, `indexer.run`...), with its chain and store calls inside.
        const result = !traced
          ? await run()
          : await inSpan(`${name}.run`, { "loop.name": name }, async (span) => {
              const ran = await run();
              span?.setAttribute("loop.again", ran?.again === true);
              return ran;
            });
        if (failures > 0) logger.info({ loop: name }, "loop recovered");
        failures = 0;
        if (result?.again === true && consecutive < maxConsecutiveRuns) {
          consecutive++;
          wait = 0;
        } else {
          consecutive = 0;
        }
      } catch (err) {
        failures++;
        consecutive = 0;
        wait = Math.min(intervalMs * 2 ** Math.min(failures, 20), backoffCap);
        logger.warn({ err, loop: name, failures, retryInMs: wait }, "loop run failed");
        // A failed background run is unexpected: reported once per outage, not on every retry.
        if (failures === 1) reportError(err, { task: name });
      }
      if (wait > 0) await sleep(wait, signal);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  return {
    start() {
      if (loop !== undefined) return;
      const controller = new AbortController();
      abort = controller;
      loop = body(controller.signal);
    },
    async stop() {
      abort?.abort();
      const current = loop;
      loop = undefined;
      abort = undefined;
      await current;
    },
    get running() {
      return loop !== undefined;
    },
  };
}

/** A component's background side: `start(intervalMs)` a poll loop (once), `stop()` it. */
export interface BackgroundTask {
  /** Runs in the background every `intervalMs`; errors are logged and backed off. No-op when running. */
  start(intervalMs: number): void;
  /** Stops the loop after the current run. */
  stop(): Promise<void>;
}

/** The indexers', keeper's, settler's and auto-settle's `start`/`stop`: a poll loop created on `start`. */
export function createBackgroundTask({
  sleep,
  ...loop
}: Omit<CreatePollLoopParameters, "intervalMs" | "sleep"> & { sleep?: Sleep | undefined }): BackgroundTask {
  let current: PollLoop | undefined;
  return {
    start(intervalMs) {
      if (current !== undefined) return;
      current = createPollLoop({ ...loop, intervalMs, ...(sleep !== undefined ? { sleep } : {}) });
      current.start();
    },
    async stop() {
      const running = current;
      current = undefined;
      await running?.stop();
    },
  };
}
