/**
 * Calendar expansion off the main thread: `expandBusyIntervals` runs parseIcs in a worker thread, so however
 * hostile a calendar is, the event loop that serves every other request never waits for it. parseIcs bounds its
 * own work per request (range, iterator steps, time); the worker adds what parseIcs cannot do for itself:
 * - a hard timeout (`timeoutMs`, default 2 s): a rule on which a single ical.js step never ends is cut off by
 *   terminating the worker (a fresh one starts with the next job);
 * - a memory ceiling (`maxMemoryMb`, default 128 MB of heap): the worker dies alone, not the agent;
 * - a bounded queue (`maxQueued`, default 64): beyond it `calendar_busy` (503), instead of unbounded waiting.
 * One worker, jobs one at a time: calendar questions are rare and each is bounded, and a second core stays free
 * for the HTTP server. Past the timeout or the memory ceiling the answer is TooLargeError `calendar_too_complex`.
 */
import { Worker } from "node:worker_threads";
import { type AgentError, DependencyError, TooLargeError, ValidationError } from "../../errors.ts";
import type { CalendarJob, CalendarJobAnswer } from "./calendarWorker.ts";
import type { ParseIcsParameters, ParseIcsReturnType } from "./parseIcs.ts";

export type ExpandBusyIntervalsParameters = Omit<ParseIcsParameters, "elapsed">;
export type ExpandBusyIntervalsReturnType = ParseIcsReturnType;

export interface CalendarExpanderOptions {
  /** Longest a job may run in the worker. Default 2,000 ms. */
  timeoutMs?: number;
  /** Worker heap ceiling. Default 128 MB. */
  maxMemoryMb?: number;
  /** Jobs waiting for the worker. Default 64. */
  maxQueued?: number;
}

export interface CalendarExpander {
  expand(parameters: ExpandBusyIntervalsParameters): Promise<ExpandBusyIntervalsReturnType>;
  /** Stops the worker; queued jobs fail with `calendar_busy`. */
  close(): Promise<void>;
}

interface Pending {
  job: CalendarJob;
  resolve: (result: ParseIcsReturnType) => void;
  reject: (error: unknown) => void;
}

const WORKER_URL = new URL("./calendarWorker.ts", import.meta.url);

function tooComplex(details: Record<string, unknown>): TooLargeError {
  return new TooLargeError({
    code: "calendar_too_complex",
    message: "The calendar's recurrence rules take too long to read.",
    details: { field: "ics", ...details },
  });
}

function rebuild(error: Extract<CalendarJobAnswer, { ok: false }>["error"]): AgentError {
  const parameters = { code: error.code, message: error.message, details: error.details };
  return error.name === "TooLargeError" ? new TooLargeError(parameters) : new ValidationError(parameters);
}

export function createCalendarExpander(options: CalendarExpanderOptions = {}): CalendarExpander {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxMemoryMb = options.maxMemoryMb ?? 128;
  const maxQueued = options.maxQueued ?? 64;
  const queue: Pending[] = [];
  let worker: Worker | null = null;
  let running: (Pending & { timer: NodeJS.Timeout }) | null = null;
  let nextId = 1;
  let closed = false;

  const finish = (outcome: { result: ParseIcsReturnType } | { error: unknown }) => {
    const current = running;
    if (current === null) return;
    running = null;
    clearTimeout(current.timer);
    // An idle worker does not keep the process alive; a running job does (see pump).
    worker?.unref();
    if ("result" in outcome) current.resolve(outcome.result);
    else current.reject(outcome.error);
    pump();
  };

  const spawn = (): Worker => {
    const created = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } });
    created.on("message", (answer: CalendarJobAnswer) => {
      if (running === null || answer.id !== running.job.id) return;
      finish(answer.ok ? { result: answer.result } : { error: rebuild(answer.error) });
    });
    const lost = (error: unknown) => {
      if (worker !== created) return;
      worker = null;
      const memory = (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      finish({ error: memory ? tooComplex({ maxMemoryMb }) : tooComplex({ timeoutMs }) });
    };
    created.on("error", lost);
    created.on("exit", () => lost(undefined));
    return created;
  };

  function pump(): void {
    if (running !== null || closed) return;
    const next = queue.shift();
    if (next === undefined) return;
    worker ??= spawn();
    const current = worker;
    const timer = setTimeout(() => {
      // The step that never ends: only terminating the thread stops it. The exit handler answers the job.
      void current.terminate();
    }, timeoutMs);
    timer.unref();
    running = { ...next, timer };
    current.ref();
    current.postMessage(next.job);
  }

  return {
    expand(parameters) {
      if (closed || queue.length >= maxQueued) {
        return Promise.reject(
          new DependencyError({
            code: "calendar_busy",
            message: "Too many calendars are being read right now; try again shortly.",
            details: { maxQueued },
          }),
        );
      }
      return new Promise<ParseIcsReturnType>((resolve, reject) => {
        queue.push({ job: { id: nextId++, parameters }, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) {
        pending.reject(new DependencyError({ code: "calendar_busy", message: "The agent is stopping." }));
      }
      const current = worker;
      worker = null;
      if (current !== null) await current.terminate();
    },
  };
}

let shared: CalendarExpander | undefined;

/** Busy intervals of a calendar, expanded by the process's shared worker (created on first use). */
export function expandBusyIntervals(
  parameters: ExpandBusyIntervalsParameters,
): Promise<ExpandBusyIntervalsReturnType> {
  shared ??= createCalendarExpander();
  return shared.expand(parameters);
}
