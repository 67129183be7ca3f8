/**
 * The preferences the coach acts on: what the owner saved, else the defaults; and the time zone to use (the
 * saved one, else the rules document's, else UTC).
 */
import type { CoachPreferencesInput, CoachPreferencesRecord } from "../store/coachPreferencesRepository.ts";
import type { Repositories } from "../store/store.ts";

/** The saved preferences' fields (`CoachPreferencesInput` without the owner). */
export interface EffectivePreferences extends Omit<CoachPreferencesInput, "owner"> {
  /** False when these are the defaults (nothing saved). */
  saved: boolean;
}

/** In-app only, quiet 22:00-07:00, at most 2 interventions a day. */
export const DEFAULT_COACH_PREFERENCES: EffectivePreferences = {
  timezone: null,
  quietStartMin: 22 * 60,
  quietEndMin: 7 * 60,
  channels: ["inApp"],
  dailyCap: 2,
  email: null,
  webhookUrl: null,
  saved: false,
};

export function effectivePreferences(record: CoachPreferencesRecord | null): EffectivePreferences {
  if (record === null)
    return { ...DEFAULT_COACH_PREFERENCES, channels: [...DEFAULT_COACH_PREFERENCES.channels] };
  return {
    timezone: record.timezone,
    quietStartMin: record.quietStartMin,
    quietEndMin: record.quietEndMin,
    channels: [...record.channels],
    dailyCap: record.dailyCap,
    email: record.email,
    webhookUrl: record.webhookUrl,
    saved: true,
  };
}

export async function loadPreferences(store: Pick<Repositories, "coachPreferences">, owner: string) {
  return effectivePreferences(await store.coachPreferences.get(owner));
}

export function timeZoneFor(preferences: EffectivePreferences, rulesTimeZone?: string | null): string {
  return preferences.timezone ?? rulesTimeZone ?? "UTC";
}
