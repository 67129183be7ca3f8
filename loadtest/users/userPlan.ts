/**
 * What one simulated user will do, decided up front from its index alone (a seeded PRNG), so a run of N users
 * is reproducible and the audit can compare what happened with what was meant to happen.
 */
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type StakeToken = "eth" | "usdc";
export type ClaimMode = "self" | "gasless" | "auto";
export type FileFormat = "gpx" | "tcx" | "fit";

export interface MilestonePlan {
  /** Workouts the user uploads in this window (the rules ask for RULES.perMilestone.minWorkouts). */
  workouts: number;
  /** How a met milestone gets claimed: the user's own transaction, POST .../claim, or the agent's auto-settle. */
  claim: ClaimMode;
}

export interface UserPlan {
  index: number;
  key: `0x${string}`;
  address: `0x${string}`;
  token: StakeToken;
  milestones: MilestonePlan[];
  format: FileFormat;
  /** Uploads sent once, aborted after a few ms (a client timeout), then retried with the same Idempotency-Key. */
  retryAfterTimeout: boolean;
  /** Each upload sent twice at once (two keys): a double click. */
  doubleSubmit: boolean;
  /** Asks the coach a question. */
  asksCoach: boolean;
}

/** The rules every simulated user commits to (the rulesHash is the same for all: one document). */
export const RULES = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 2, minMinutes: 15, activities: ["run", "ride"] },
  evidence: "device",
} as const;

/** Stakes: 0.01 ETH or 20 USDC (6 decimals) per user. */
export const STAKE = { eth: 10n ** 16n, usdc: 20_000_000n } as const;

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The private key of user `index`: keccak256("resolution-autopilot loadtest user <index>"). Local chains only. */
export function userKey(index: number): `0x${string}` {
  return keccak256(toHex(`resolution-autopilot loadtest user ${index}`));
}

export function planUser(index: number): UserPlan {
  const random = prng(0x5eed + index * 7919);
  const key = userKey(index);
  const count = 2 + Math.floor(random() * 3);
  const milestones: MilestonePlan[] = [];
  for (let m = 0; m < count; m += 1) {
    const roll = random();
    // 60 % met (2 workouts), 20 % half done (1), 20 % nothing.
    const workouts = roll < 0.6 ? RULES.perMilestone.minWorkouts : roll < 0.8 ? 1 : 0;
    const claimRoll = random();
    milestones.push({ workouts, claim: claimRoll < 0.25 ? "self" : claimRoll < 0.45 ? "gasless" : "auto" });
  }
  const formats: FileFormat[] = ["gpx", "tcx", "fit"];
  return {
    index,
    key,
    address: privateKeyToAccount(key).address,
    token: random() < 0.3 ? "usdc" : "eth",
    milestones,
    format: formats[index % 3] ?? "gpx",
    retryAfterTimeout: random() < 0.15,
    doubleSubmit: random() < 0.1,
    asksCoach: random() < 0.3,
  };
}
