/**
 * `scheduleReminder({ day, time, message?, channel? })`: a reminder the owner asked for ("remind me tomorrow
 * at 7"), due at that local time in their zone, delivered by the scheduler. It must be in the future, within
 * 30 days and outside quiet hours. Reminders do not count toward the daily nudge cap; an owner has at most
 * `MAX_SCHEDULED_REMINDERS` waiting at once (checked under the owner's nudge lock, so concurrent turns cannot pass
 * it together): nothing else bounds how many a model could schedule, a turn at a time.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ValidationError } from "../../errors.ts";
import { nudgeChannels } from "../../store/schema.ts";
import { REMINDER_KEY_PREFIX } from "../../store/nudgesRepository.ts";
import { isQuietAt } from "../quietHours.ts";
import { formatLocal, localParts, zonedToEpoch } from "../zonedTime.ts";
import { defineOwnerTool } from "./coachTool.ts";

const DAY_MS = 86_400_000;

/** Reminders one owner may have waiting to be delivered. */
export const MAX_SCHEDULED_REMINDERS = 20;

export const scheduleReminderArguments = z.strictObject({
  day: z
    .string()
    .regex(/^(today|tomorrow|\d{4}-\d{2}-\d{2})$/, "must be today, tomorrow or YYYY-MM-DD")
    .describe("today, tomorrow or a local date YYYY-MM-DD"),
  time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24 h)")
    .describe("Local time HH:MM, 24 h"),
  message: z.string().trim().min(1).max(300).optional(),
  channel: z.enum(nudgeChannels).optional(),
});

export interface ScheduleReminderReturnType {
  reminderId: string;
  dueAt: string;
  dueLocal: string;
  timeZone: string;
  channel: string;
  message: string;
}

export const scheduleReminder = defineOwnerTool({
  name: "scheduleReminder",
  description: "Schedule a reminder for the user at a local day and time (e.g. tomorrow at 07:00).",
  parameters: scheduleReminderArguments,
  run: async (args, { owner, deps, context, nowMs }): Promise<ScheduleReminderReturnType> => {
    const { timeZone, preferences } = context;
    const today = localParts(nowMs, timeZone);
    const [hour, minute] = args.time.split(":").map(Number) as [number, number];
    const date =
      args.day === "today" || args.day === "tomorrow"
        ? { year: today.year, month: today.month, day: today.day + (args.day === "tomorrow" ? 1 : 0) }
        : (() => {
            const [year, month, day] = args.day.split("-").map(Number) as [number, number, number];
            return { year, month, day };
          })();
    const dueMs = zonedToEpoch({ ...date, hour, minute }, timeZone);
    const fail = (code: string, message: string, field: string) =>
      new ValidationError({ code, message, details: { field } });
    if (!Number.isFinite(dueMs) || dueMs <= nowMs)
      throw fail("reminder_in_past", "That time has already passed.", "time");
    if (dueMs - nowMs > 30 * DAY_MS)
      throw fail("reminder_too_far", "Reminders can be at most 30 days ahead.", "day");
    if (
      isQuietAt(dueMs, timeZone, { startMin: preferences.quietStartMin, endMin: preferences.quietEndMin })
    ) {
      throw fail("reminder_in_quiet_hours", "That time is inside your quiet hours.", "time");
    }
    const channel = args.channel ?? "inApp";
    const message = args.message ?? "Reminder: time for your workout.";
    const dueAt = new Date(dueMs);
    const dedupeKey = `${REMINDER_KEY_PREFIX}${dueAt.toISOString()}:${createHash("sha256").update(message).digest("hex").slice(0, 16)}`;
    const reserved = await deps.store.transaction(async (tx) => {
      await tx.nudges.lockOwner(owner);
      const existing = await tx.nudges.find(owner, channel, dedupeKey);
      if (existing !== null) return existing;
      if ((await tx.nudges.countScheduled(owner, MAX_SCHEDULED_REMINDERS)) >= MAX_SCHEDULED_REMINDERS) {
        throw fail(
          "too_many_reminders",
          `You already have ${MAX_SCHEDULED_REMINDERS} reminders waiting; one must pass before another is set.`,
          "day",
        );
      }
      return tx.nudges.reserve({
        owner,
        channel,
        dedupeKey,
        reason: "reminder",
        message,
        status: "scheduled",
        dueAt,
      });
    });
    if (reserved === null) throw new Error("unreachable: reminder neither reserved nor found");
    return {
      reminderId: reserved.id,
      dueAt: dueAt.toISOString(),
      dueLocal: formatLocal(dueMs, timeZone),
      timeZone,
      channel,
      message,
    };
  },
});
