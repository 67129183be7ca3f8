/**
 * Shared setup for the coach tests: an in-memory store on a ManualClock (Monday 2026-11-23 07:00 UTC), a
 * commitment of 200 USDC over 8 weekly milestones starting that Monday 00:00 Berlin time, workouts, and coach
 * dependencies with the in-app channel.
 */
import { randomBytes } from "node:crypto";
import type { Address } from "viem";
import { ManualClock } from "../../src/clock.ts";
import type { NudgeChannels } from "../../src/coach/channels/nudgeChannel.ts";
import { createInAppChannel } from "../../src/coach/channels/inAppChannel.ts";
import type { CoachDependencies } from "../../src/coach/coachDependencies.ts";
import { createTokenInfoLookup } from "../../src/coach/tokenAmounts.ts";
import { createLogger } from "../../src/logger.ts";
import { canonicalizeRules, type RulesDocument } from "../../src/rules/rulesDocument.ts";
import { openStore } from "../../src/store/openStore.ts";
import type { Store } from "../../src/store/store.ts";
import type { WorkoutRecord } from "../../src/store/workoutsRepository.ts";

export const CHAIN_ID = 31337;
export const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
/** Monday 2026-11-23 07:00 UTC (08:00 in Berlin). */
export const START = Date.UTC(2026, 10, 23, 7, 0, 0);
/** Monday 2026-11-23 00:00 in Berlin = Sunday 23:00 UTC. */
export const WEEK_START = Date.UTC(2026, 10, 22, 23, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

export const RULES: RulesDocument = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};

export const silentLogger = createLogger({ level: "silent" });

export function randomOwner(): Address {
  return `0x${randomBytes(20).toString("hex")}` as Address;
}

export interface CoachTestContext {
  store: Store;
  clock: ManualClock;
  deps: CoachDependencies;
}

export async function openCoachTest(channels?: NudgeChannels): Promise<CoachTestContext> {
  const clock = new ManualClock(START);
  const store = await openStore({ dataDir: "memory://", clock });
  const deps: CoachDependencies = {
    store,
    clock,
    logger: silentLogger,
    chain: { chainId: CHAIN_ID, vault: VAULT },
    tokens: createTokenInfoLookup({ [USDC]: { symbol: "USDC", decimals: 6 } }),
    channels: channels ?? { inApp: createInAppChannel() },
    calendar: {
      policy: {
        allowPrivate: (address) => address === "127.0.0.1",
        allowHttp: true,
        timeoutMs: 2_000,
        maxBytes: 1024 * 1024,
        maxRedirects: 2,
      },
      refreshMs: 6 * HOUR,
    },
  };
  return { store, clock, deps };
}

export interface SeedCommitmentParameters {
  owner: string;
  id?: bigint;
  start?: number;
  period?: number;
  milestones?: number;
  amount?: bigint;
  token?: string;
  rules?: RulesDocument;
  states?: ("Open" | "Released" | "Slashed" | "Refunded")[];
}

let nextId = 1n;

export async function seedCommitment(store: Store, parameters: SeedCommitmentParameters) {
  const { rulesHash, canonical } = canonicalizeRules(parameters.rules ?? RULES);
  await store.rulesDocuments.put(rulesHash, canonical);
  const milestones = parameters.milestones ?? 8;
  const id = parameters.id ?? nextId++;
  return store.commitments.upsert({
    chainId: CHAIN_ID,
    vault: VAULT,
    commitmentId: id,
    owner: parameters.owner,
    token: parameters.token ?? USDC,
    amount: parameters.amount ?? 200_000_000n,
    start: Math.floor((parameters.start ?? WEEK_START) / 1000),
    period: parameters.period ?? WEEK / 1000,
    milestones,
    grace: 2 * 86_400,
    beneficiary: "0x000000000000000000000000000000000000dEaD",
    rulesHash,
    closed: false,
    milestoneStates: parameters.states ?? new Array(milestones).fill("Open"),
    updatedBlock: 1,
  });
}

export interface AddWorkoutParameters {
  owner: string;
  startMs: number;
  minutes?: number;
  sport?: string;
  source?: "fit" | "gpx" | "tcx" | "manual" | "provider";
  status?: "accepted" | "rejected";
  reasons?: { code: string; message: string }[];
  notes?: string;
}

export async function addWorkout(store: Store, p: AddWorkoutParameters): Promise<WorkoutRecord> {
  const minutes = p.minutes ?? 45;
  return store.workouts.insert({
    owner: p.owner,
    source: p.source ?? "fit",
    contentHash: `0x${randomBytes(32).toString("hex")}`,
    sport: p.sport ?? "run",
    startTime: new Date(p.startMs),
    endTime: new Date(p.startMs + minutes * 60_000),
    durationSec: minutes * 60,
    elapsedSec: minutes * 60,
    distanceM: 8000,
    avgHeartRate: 140,
    verdict: { status: p.status ?? "accepted", reasons: p.reasons ?? [] },
    notes: p.notes ?? null,
  });
}

/** Numbers in `text` as whole tokens. */
export function numbersOf(text: string): string[] {
  return text.match(/\d+(?:\.\d+)?/g) ?? [];
}
