/**
 * In-process scheduling with croner (the default, one agent process): runs a pass on the cron `pattern`
 * (UTC), never two at once in this process (`protect`). With several replicas, use the BullMQ scheduler.
 */
import { Cron } from "croner";
import type { Logger } from "../../logger.ts";
import type { CoachScheduler, RunPass } from "./coachScheduler.ts";

export interface CreateCronCoachSchedulerParameters {
  /** Cron pattern, e.g. `*\/15 * * * *` (COACH_SCHEDULE). Seconds are allowed as a sixth leading field. */
  pattern: string;
  runPass: RunPass;
  logger: Logger;
}

export function createCronCoachScheduler(parameters: CreateCronCoachSchedulerParameters): CoachScheduler {
  const { pattern, runPass, logger } = parameters;
  let job: Cron | null = null;
  let running: Promise<unknown> | null = null;
  return {
    kind: "cron",
    start: async () => {
      if (job !== null) return;
      job = new Cron(pattern, { timezone: "UTC", protect: true, unref: false }, async (self: Cron) => {
        const passId = `cron:${self.currentRun()?.toISOString() ?? "now"}`;
        running = runPass(passId).catch((error: unknown) =>
          logger.error({ err: error, passId }, "coach pass failed"),
        );
        await running;
        running = null;
      });
    },
    stop: async () => {
      job?.stop();
      job = null;
      await running;
    },
  };
}
