/**
 * What the tests that run whole agents (assembled as `main.ts` does) on the in-process chain share: the agent's
 * environment for the chain's vault, time travel that moves the agents' clock with the chain, and device files.
 */
import type { ManualClock } from "../../src/clock.ts";
import type { RulesDocument } from "../../src/rules/rulesDocument.ts";
import { gpx, track } from "../workouts/fixtures.ts";
import type { HardhatChain } from "./hardhatChain.ts";
import type { RpcOverHttp } from "./rpcOverHttp.ts";

export const DAY = 86_400;
export const HOUR = 3_600;
export const MINUTE = 60;

/** Three runs of at least 30 minutes a milestone, from a device. */
export const THREE_RUNS: RulesDocument = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run"] },
  evidence: "device",
};

/** An agent's environment on `chain`'s vault through `rpc`: in-memory store, long sessions, no confirmations. */
export function agentEnv(chain: HardhatChain, rpc: RpcOverHttp): Record<string, string> {
  return {
    RPC_URL: rpc.url,
    CHAIN_ID: String(chain.chainId),
    VAULT_ADDRESS: chain.vault,
    VAULT_DEPLOYMENT_BLOCK: String(chain.deploymentBlock),
    DATA_DIR: "memory://",
    LOG_LEVEL: "silent",
    SESSION_TTL_SECONDS: String(30 * DAY),
    INDEXER_CONFIRMATIONS: "0",
  };
}

/** Moves the chain forward to `unixSeconds` (never back) and sets the agents' clock to its latest block. */
export function timeTravel(chain: HardhatChain, clock: ManualClock): (unixSeconds: number) => Promise<void> {
  return async (unixSeconds) => {
    const now = await chain.latestTimestamp();
    if (unixSeconds > now) await chain.increaseTime(unixSeconds - now);
    clock.set((await chain.latestTimestamp()) * 1000);
  };
}

/** A 35-minute GPX run starting at `startMs`. */
export function gpxRun(startMs: number): Buffer {
  return Buffer.from(
    gpx({
      type: "running",
      segments: [track({ start: startMs, seconds: 35 * MINUTE, speedMps: 3, heartRate: 148 })],
    }),
  );
}
