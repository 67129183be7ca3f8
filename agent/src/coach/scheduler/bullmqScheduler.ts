/**
 * Scheduling across replicas with BullMQ (when Redis is configured): every replica upserts the same job
 * scheduler (`coach-pass`, idempotent) and runs a worker; BullMQ puts one job in the queue per scheduled
 * time and exactly one worker takes it, so a pass runs once however many replicas there are. The job id is
 * the pass id. Connections are duplicated from the given client with the settings BullMQ needs (no
 * per-command timeout or retry limit: its workers block on Redis).
 */
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../../logger.ts";
import type { CoachScheduler, RunPass } from "./coachScheduler.ts";

export const COACH_QUEUE = "coach";
export const COACH_SCHEDULER_ID = "coach-pass";

export interface CreateBullmqCoachSchedulerParameters {
  redis: Redis;
  /** BullMQ key prefix, e.g. `ra:bull` (from REDIS_KEY_PREFIX). */
  prefix: string;
  /** Cron pattern (UTC), or `everyMs` for a fixed interval. */
  pattern?: string;
  everyMs?: number;
  runPass: RunPass;
  logger: Logger;
  /** Queue name (tests use their own). Default `coach`. */
  queueName?: string;
}

export function createBullmqCoachScheduler(parameters: CreateBullmqCoachSchedulerParameters): CoachScheduler {
  const { redis, prefix, runPass, logger } = parameters;
  const queueName = parameters.queueName ?? COACH_QUEUE;
  if ((parameters.pattern === undefined) === (parameters.everyMs === undefined)) {
    throw new Error("give exactly one of pattern and everyMs");
  }
  const connection = () =>
    redis.duplicate({
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      autoResendUnfulfilledCommands: true,
    });
  let queue: Queue | null = null;
  let worker: Worker | null = null;
  const connections: Redis[] = [];
  return {
    kind: "bullmq",
    start: async () => {
      if (queue !== null) return;
      const queueConnection = connection();
      const workerConnection = connection();
      connections.push(queueConnection, workerConnection);
      queue = new Queue(queueName, { connection: queueConnection, prefix });
      // Without a listener BullMQ prints every connection error of the queue to stderr, unformatted.
      queue.on("error", (error) => logger.warn({ err: error }, "coach scheduler queue error"));
      await queue.upsertJobScheduler(
        COACH_SCHEDULER_ID,
        parameters.pattern !== undefined
          ? { pattern: parameters.pattern, tz: "UTC" }
          : { every: parameters.everyMs },
        { name: COACH_SCHEDULER_ID, opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 1 } },
      );
      worker = new Worker(queueName, async (job) => runPass(job.id ?? `${job.name}:${job.timestamp}`), {
        connection: workerConnection,
        prefix,
        concurrency: 1,
      });
      worker.on("failed", (job, error) => logger.error({ err: error, passId: job?.id }, "coach pass failed"));
      worker.on("error", (error) => logger.warn({ err: error }, "coach scheduler worker error"));
    },
    stop: async () => {
      await worker?.close();
      await queue?.close();
      worker = null;
      queue = null;
      for (const client of connections.splice(0)) client.disconnect();
    },
  };
}
