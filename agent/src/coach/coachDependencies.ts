/** What the coach's tools, nudges, scheduler and agent loop are built from (assembled once, passed down). */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/store.ts";
import type { CalendarSourceSettings } from "./calendar/calendarSource.ts";
import type { NudgeChannels } from "./channels/nudgeChannel.ts";
import type { TokenInfoLookup } from "./tokenAmounts.ts";

export interface CoachDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The vault whose commitments are coached; null when none is configured (no commitments then). */
  chain: { chainId: number; vault: string } | null;
  tokens: TokenInfoLookup;
  channels: NudgeChannels;
  calendar: CalendarSourceSettings;
}
