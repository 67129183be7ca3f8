/**
 * Sends one nudge on one channel, or says why not. In order: the channel must be chosen by the owner (in-app
 * always is) and able to reach them; never in quiet hours (owner's time zone); the same intervention
 * (`dedupeKey`) is sent at most once per channel; at most `dailyCap` distinct interventions per local day
 * (reminders the owner asked for do not count). The cap check and the reservation run under a per-owner lock
 * in one transaction, so concurrent passes cannot exceed it. Delivery state is recorded on the nudge.
 */
import { createHash } from "node:crypto";
import type { NudgeOutcome, NudgeRecord } from "../../store/nudgesRepository.ts";
import type { NudgeChannelKind } from "../../store/schema.ts";
import type { DeliveryResult, NudgeChannel } from "../channels/nudgeChannel.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { type EffectivePreferences, loadPreferences, timeZoneFor } from "../coachPreferences.ts";
import { isQuietAt } from "../quietHours.ts";
import { startOfLocalDay } from "../zonedTime.ts";

export interface DeployNudgeParameters {
  owner: string;
  channel: NudgeChannelKind;
  message: string;
  reason: string;
  /** Identifies the intervention across channels; default: a hash of reason and message. */
  dedupeKey?: string;
  /** Zone when the owner saved none (the rules' zone). */
  fallbackTimeZone?: string;
  /** Already loaded preferences (the scheduler passes them). */
  preferences?: EffectivePreferences;
}

export type SuppressionReason = "channel_disabled" | "channel_unavailable" | "quiet_hours" | "daily_cap";

export type DeployNudgeReturnType =
  | { status: "delivered"; channel: NudgeChannelKind; nudgeId: string; attempts: number }
  | { status: "failed"; channel: NudgeChannelKind; nudgeId: string; attempts: number; error: string }
  | { status: "duplicate"; channel: NudgeChannelKind; nudgeId: string }
  | { status: "suppressed"; channel: NudgeChannelKind; reason: SuppressionReason; detail: string };

export function defaultDedupeKey(reason: string, message: string): string {
  return `nudge:${createHash("sha256").update(`${reason}\n${message}`).digest("hex").slice(0, 32)}`;
}

export type NudgeDependencies = Pick<CoachDependencies, "store" | "clock" | "logger" | "channels">;

/** A nudge that passed every check made before the reservation (channel, reachability, quiet hours). */
export interface PreparedNudge {
  owner: string;
  channel: NudgeChannelKind;
  message: string;
  reason: string;
  dedupeKey: string;
  preferences: EffectivePreferences;
  implementation: NudgeChannel;
  /** `clock.now()` when checked: the reservation's due time and the day the cap counts. */
  now: number;
  dayStart: Date;
  dayEnd: Date;
}

function suppressed(
  channel: NudgeChannelKind,
  reason: SuppressionReason,
  detail: string,
): DeployNudgeReturnType & { status: "suppressed" } {
  return { status: "suppressed", channel, reason, detail };
}

export function cappedNudge(nudge: PreparedNudge): DeployNudgeReturnType {
  return suppressed(
    nudge.channel,
    "daily_cap",
    `The owner's cap of ${nudge.preferences.dailyCap} nudges a day is reached.`,
  );
}

/** The last local days computed, by instant and zone: a pass asks for the same few thousands of times. */
const localDays = new Map<string, { dayStart: Date; dayEnd: Date }>();

/** `[start, end)` of the local day holding `now` in `timeZone`. */
function localDayOf(now: number, timeZone: string): { dayStart: Date; dayEnd: Date } {
  const key = `${now}|${timeZone}`;
  let day = localDays.get(key);
  if (day === undefined) {
    day = {
      dayStart: new Date(startOfLocalDay(now, timeZone)),
      dayEnd: new Date(startOfLocalDay(now, timeZone, 1)),
    };
    if (localDays.size >= 256) localDays.clear();
    localDays.set(key, day);
  }
  return { dayStart: new Date(day.dayStart), dayEnd: new Date(day.dayEnd) };
}

/**
 * The checks before any write, in deployNudge's order: the channel chosen and configured, the owner reachable
 * on it, not quiet hours. Returns the suppression, or the nudge ready to be reserved.
 */
export async function prepareNudge(
  deps: NudgeDependencies,
  parameters: DeployNudgeParameters,
): Promise<PreparedNudge | (DeployNudgeReturnType & { status: "suppressed" })> {
  const { store, clock } = deps;
  const { owner, channel, message, reason } = parameters;
  const dedupeKey = parameters.dedupeKey ?? defaultDedupeKey(reason, message);
  const preferences = parameters.preferences ?? (await loadPreferences(store, owner));
  const timeZone = timeZoneFor(preferences, parameters.fallbackTimeZone);
  if (channel !== "inApp" && !preferences.channels.includes(channel)) {
    return suppressed(
      channel,
      "channel_disabled",
      `The ${channel} channel is not among the owner's channels.`,
    );
  }
  const implementation = deps.channels[channel];
  if (implementation === undefined) {
    return suppressed(
      channel,
      "channel_unavailable",
      `The ${channel} channel is not configured on this agent.`,
    );
  }
  const unavailable = implementation.unavailableReason(preferences);
  if (unavailable !== null) return suppressed(channel, "channel_unavailable", unavailable);
  const now = clock.now();
  if (isQuietAt(now, timeZone, { startMin: preferences.quietStartMin, endMin: preferences.quietEndMin })) {
    return suppressed(channel, "quiet_hours", "It is quiet hours for the owner.");
  }
  const { dayStart, dayEnd } = localDayOf(now, timeZone);
  return { owner, channel, message, reason, dedupeKey, preferences, implementation, now, dayStart, dayEnd };
}

/** Delivers a reserved nudge on its channel; a channel that throws is a failed delivery. */
export async function deliverReserved(
  nudge: PreparedNudge,
  reserved: Pick<NudgeRecord, "id" | "owner" | "createdAt">,
): Promise<DeliveryResult> {
  try {
    return await nudge.implementation.deliver(
      {
        nudgeId: reserved.id,
        owner: reserved.owner,
        reason: nudge.reason,
        message: nudge.message,
        createdAt: reserved.createdAt,
      },
      nudge.preferences,
    );
  } catch (error) {
    return { ok: false, attempts: 1, error: error instanceof Error ? error.message : String(error) };
  }
}

/** What a delivery's result is recorded as on the nudge. */
export function outcomeOf(result: DeliveryResult): NudgeOutcome {
  return {
    status: result.ok ? "delivered" : "failed",
    attempts: result.attempts,
    lastError: result.ok ? null : result.error.slice(0, 2000),
  };
}

/** The caller's answer once the delivery's outcome is recorded (a failure is logged). */
export function deliveredNudge(
  deps: Pick<NudgeDependencies, "logger">,
  nudge: PreparedNudge,
  nudgeId: string,
  result: DeliveryResult,
): DeployNudgeReturnType {
  const { channel } = nudge;
  if (!result.ok) {
    deps.logger.warn(
      { nudgeId, channel, attempts: result.attempts, error: result.error },
      "nudge delivery failed",
    );
    return { status: "failed", channel, nudgeId, attempts: result.attempts, error: result.error };
  }
  return { status: "delivered", channel, nudgeId, attempts: result.attempts };
}

export async function deployNudge(
  deps: NudgeDependencies,
  parameters: DeployNudgeParameters,
): Promise<DeployNudgeReturnType> {
  const { store } = deps;
  const nudge = await prepareNudge(deps, parameters);
  if ("status" in nudge) return nudge;
  const { owner, channel, dedupeKey } = nudge;

  // Already sent: no transaction needed (the scheduler's pass answers this from one read per page). The
  // transaction below checks again under the owner's lock, so a nudge racing this one is still caught.
  const sent = await store.nudges.find(owner, channel, dedupeKey);
  if (sent !== null) return { status: "duplicate", channel, nudgeId: sent.id };

  const reservation = await store.transaction(async (tx) => {
    await tx.nudges.lockOwner(owner);
    const existing = await tx.nudges.find(owner, channel, dedupeKey);
    if (existing !== null) return { kind: "duplicate" as const, id: existing.id };
    const keys = await tx.nudges.interventionKeysBetween(owner, nudge.dayStart, nudge.dayEnd);
    if (!keys.includes(dedupeKey) && keys.length >= nudge.preferences.dailyCap)
      return { kind: "capped" as const };
    const reserved = await tx.nudges.reserve({
      owner,
      channel,
      dedupeKey,
      reason: nudge.reason,
      message: nudge.message,
      status: "pending",
      dueAt: new Date(nudge.now),
    });
    return reserved === null
      ? { kind: "duplicate" as const, id: (await tx.nudges.find(owner, channel, dedupeKey))?.id ?? "" }
      : { kind: "reserved" as const, nudge: reserved };
  });
  if (reservation.kind === "duplicate") return { status: "duplicate", channel, nudgeId: reservation.id };
  if (reservation.kind === "capped") return cappedNudge(nudge);

  const result = await deliverReserved(nudge, reservation.nudge);
  await store.nudges.setOutcome(reservation.nudge.id, outcomeOf(result));
  return deliveredNudge(deps, nudge, reservation.nudge.id, result);
}
