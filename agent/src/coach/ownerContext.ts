/**
 * What every tool needs about the signed-in owner: their preferences, their commitments on the configured
 * vault, and the time zone to speak in (saved, else the rules of their current commitment, else UTC).
 */
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { CoachDependencies } from "./coachDependencies.ts";
import { type EffectivePreferences, loadPreferences, timeZoneFor } from "./coachPreferences.ts";
import { currentWindow, loadRules } from "./commitmentProgress.ts";

export interface OwnerContext {
  preferences: EffectivePreferences;
  commitments: CommitmentRecord[];
  /** Commitments with a running window that are not closed, by ascending id. */
  active: CommitmentRecord[];
  timeZone: string;
}

export async function loadOwnerContext(deps: CoachDependencies, owner: string): Promise<OwnerContext> {
  const preferences = await loadPreferences(deps.store, owner);
  const commitments =
    deps.chain === null
      ? []
      : await deps.store.commitments.listByOwner({
          chainId: deps.chain.chainId,
          vault: deps.chain.vault,
          owner,
        });
  const now = deps.clock.now();
  const active = commitments.filter((c) => !c.closed && currentWindow(c, now) !== null);
  let rulesZone: string | null = null;
  if (preferences.timezone === null) {
    const first = active[0] ?? commitments.at(-1);
    if (first !== undefined) rulesZone = (await loadRules(deps.store, first.rulesHash))?.timezone ?? null;
  }
  return { preferences, commitments, active, timeZone: timeZoneFor(preferences, rulesZone) };
}
