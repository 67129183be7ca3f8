/** The scheduler interface both implementations (in-process cron, BullMQ) share. */
export interface CoachScheduler {
  readonly kind: "cron" | "bullmq";
  start(): Promise<void>;
  /** Stops scheduling and waits for a running pass to finish. Idempotent. */
  stop(): Promise<void>;
}

/** Runs one pass; `passId` names the scheduled run (the same id on every replica for BullMQ). */
export type RunPass = (passId: string) => Promise<unknown>;
