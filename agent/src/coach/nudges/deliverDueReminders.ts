/**
 * Delivers reminders the owner scheduled ("remind me tomorrow at 7") once they are due. Each is claimed
 * (`scheduled` → `pending`) before delivery, so two workers never deliver the same one. Bounded per call.
 */
import { loadPreferences } from "../coachPreferences.ts";
import type { NudgeDependencies } from "./deployNudge.ts";

export interface DeliverDueRemindersReturnType {
  delivered: number;
  failed: number;
}

export async function deliverDueReminders(
  deps: NudgeDependencies,
  limit = 200,
): Promise<DeliverDueRemindersReturnType> {
  const { store, clock } = deps;
  const due = await store.nudges.listDue(new Date(clock.now()), limit);
  let delivered = 0;
  let failed = 0;
  for (const reminder of due) {
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
