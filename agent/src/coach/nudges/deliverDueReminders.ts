/**
 * Delivers reminders the owner scheduled ("remind me tomorrow at 7") once they are due. Each is claimed
 * (`scheduled` → `pending`) before delivery, so two workers never deliver the same one. Read `limit` at a time,
 * again while a batch came back full, up to `maxBatches` batches a call (2,000 reminders by default, per coach pass):
 * one batch a pass capped delivery at 19,200 a day for everyone, fewer than a busy day's reminders. Within the
 * pass's time limit (`expired`): a webhook reminder to an address that never answers takes ~24 s.
 */
import { loadPreferences } from "../coachPreferences.ts";
import type { NudgeDependencies } from "./deployNudge.ts";

export interface DeliverDueRemindersReturnType {
  delivered: number;
  failed: number;
}

export interface DeliverDueRemindersParameters {
  /** Reminders read at a time (1 to 500, as `listDue` reads). Default 200. */
  limit?: number;
  /** Most batches a call. Default 10. */
  maxBatches?: number;
  /**
   * The coach pass's time limit: checked before each delivery and each batch after the first; the reminders not
   * reached stay `scheduled` for the next pass. Default: never.
   */
  expired?: () => boolean;
}

export async function deliverDueReminders(
  deps: NudgeDependencies,
  { limit = 200, maxBatches = 10, expired = () => false }: DeliverDueRemindersParameters = {},
): Promise<DeliverDueRemindersReturnType> {
  const size = Math.min(Math.max(Math.trunc(limit), 1), 500);
  const total = { delivered: 0, failed: 0 };
  for (let batch = 0; batch < maxBatches; batch += 1) {
    if (batch > 0 && expired()) break;
    const due = await deps.store.nudges.listDue(new Date(deps.clock.now()), size);
    const { delivered, failed } = await deliverBatch(deps, due, expired);
    total.delivered += delivered;
    total.failed += failed;
    if (due.length < size) break;
  }
  return total;
}

/** Claims and delivers each reminder of `due` (one another worker claimed first is skipped). */
async function deliverBatch(
  deps: NudgeDependencies,
  due: Awaited<ReturnType<NudgeDependencies["store"]["nudges"]["listDue"]>>,
  expired: () => boolean,
): Promise<DeliverDueRemindersReturnType> {
  const { store } = deps;
  let delivered = 0;
  let failed = 0;
  for (const reminder of due) {
    if (expired()) break;
    const claimed = await store.nudges.claimScheduled(reminder.id);
    if (claimed === null) continue;
    const channel = deps.channels[claimed.channel];
    const preferences = await loadPreferences(store, claimed.owner);
    const result =
      channel === undefined
        ? { ok: false as const, attempts: 0, error: `the ${claimed.channel} channel is not configured` }
        : await channel
            .deliver(
              {
                nudgeId: claimed.id,
                owner: claimed.owner,
                reason: claimed.reason,
                message: claimed.message,
                createdAt: claimed.createdAt,
              },
              preferences,
            )
            .catch((error: unknown) => ({ ok: false as const, attempts: 1, error: String(error) }));
    await store.nudges.setOutcome(claimed.id, {
      status: result.ok ? "delivered" : "failed",
      attempts: result.attempts,
      lastError: result.ok ? null : result.error,
    });
    if (result.ok) delivered += 1;
    else failed += 1;
  }
  return { delivered, failed };
}
