/**
 * The worker thread of expandCalendar.ts: expands one calendar at a time with parseIcs and posts back the busy
 * intervals, or the typed error (rebuilt on the main thread). It holds no state between jobs.
 */
import { parentPort } from "node:worker_threads";
import { AgentError } from "../../errors.ts";
import { type ParseIcsParameters, parseIcs } from "./parseIcs.ts";

export interface CalendarJob {
  id: number;
  parameters: Omit<ParseIcsParameters, "elapsed">;
}

export type CalendarJobAnswer =
  | { id: number; ok: true; result: ReturnType<typeof parseIcs> }
  | {
      id: number;
      ok: false;
      error: { name: string; code: string; message: string; details: Record<string, unknown> };
    };

parentPort?.on("message", (job: CalendarJob) => {
  let answer: CalendarJobAnswer;
  try {
    answer = { id: job.id, ok: true, result: parseIcs(job.parameters) };
  } catch (error) {
    answer =
      error instanceof AgentError
        ? {
            id: job.id,
            ok: false,
            error: { name: error.name, code: error.code, message: error.message, details: error.details },
          }
        : {
            id: job.id,
            ok: false,
            error: {
              name: "ValidationError",
              code: "invalid_calendar",
              message: "The calendar could not be read.",
              details: { field: "ics" },
            },
          };
  }
  parentPort?.postMessage(answer);
});
