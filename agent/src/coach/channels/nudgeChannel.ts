/**
 * The one interface every nudge channel implements. A new channel is one new file exporting a factory that
 * returns a `NudgeChannel`; `deployNudge` records what `deliver` reports (it never throws for a delivery
 * failure, it reports it).
 */
import type { NudgeChannelKind } from "../../store/schema.ts";
import type { EffectivePreferences } from "../coachPreferences.ts";

export interface NudgeDelivery {
  nudgeId: string;
  owner: string;
  reason: string;
  message: string;
  createdAt: Date;
}

export type DeliveryResult = { ok: true; attempts: number } | { ok: false; attempts: number; error: string };

export interface NudgeChannel {
  readonly kind: NudgeChannelKind;
  /** Null when the channel can deliver to this owner, else why not (e.g. no email address saved). */
  unavailableReason(preferences: EffectivePreferences): string | null;
  deliver(delivery: NudgeDelivery, preferences: EffectivePreferences): Promise<DeliveryResult>;
}

export type NudgeChannels = Partial<Record<NudgeChannelKind, NudgeChannel>>;
