/**
 * What every chapter of the demo shares: its parameters (the chain, the agent, the report), the check that stops
 * the demo when something it shows does not hold, the calendar (time units, the next Monday morning, time travel
 * that moves the agent's clock along), the indexers' catch-up, and the vault reads and writes both chapters make.
 */
import { type MilestoneState, milestoneStateFromIndex } from "@resolution-autopilot/vocabulary";
import { type Address, getContract, type Hex } from "viem";
import type { AttestationView } from "../../agent/src/services/issueAttestation.ts";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../deployments/abi.ts";
import { type AgentSession, type DemoAgent, expectStatus } from "./demoAgent.ts";
import type { DemoAccount, DemoChain, MinedTransaction } from "./demoChain.ts";
import type { Report } from "./report.ts";

export const MINUTE = 60;
export const HOUR = 3_600;
export const DAY = 86_400;
export const WEEK = 7 * DAY;

/** The rules every commitment of the demo uses (PRODUCT.md's example). */
export const DEMO_RULES = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
} as const;

/** What a chapter runs on and writes to. */
export interface JourneyParameters {
  chain: DemoChain;
  agent: DemoAgent;
  report: Report;
}

/** Thrown when something the demo shows does not hold. */
export class JourneyCheckError extends Error {}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new JourneyCheckError(message);
}

/** The first Monday 06:00 UTC at least an hour after `seconds`. */
export function nextMondayMorning(seconds: number): number {
  const from = new Date((seconds + HOUR) * 1000);
  const midnight = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()) / 1000;
  let monday = midnight + ((8 - from.getUTCDay()) % 7) * DAY + 6 * HOUR;
  if (monday < seconds + HOUR) monday += WEEK;
  return monday;
}

/** Mines a block at `seconds` and sets the agent's clock to it. */
export async function travelTo({ chain, agent }: JourneyParameters, seconds: number): Promise<void> {
  await chain.travelTo(seconds);
  await agent.syncClock();
}

/** Waits for the transaction, then sets the agent's clock to the chain's. */
export async function minedAndSynced(
  { chain, agent }: JourneyParameters,
  hash: Promise<Hex>,
): Promise<MinedTransaction> {
  const tx = await chain.mined(await hash);
  await agent.syncClock();
  return tx;
}

/** The vault, for reads. */
export function vaultContract(chain: DemoChain) {
  return getContract({ address: chain.vault, abi: commitmentVaultAbi, client: chain.client });
}

/** The vault as `who` sends to it from their wallet. */
export function vaultAs(chain: DemoChain, who: DemoAccount) {
  return getContract({ address: chain.vault, abi: commitmentVaultAbi, client: chain.wallet(who) });
}

/** The mock USDC, for reads. */
export function usdcContract(chain: DemoChain) {
  return getContract({ address: chain.usdc, abi: mockERC20PermitAbi, client: chain.client });
}

/** The mock USDC as `who` sends to it from their wallet. */
export function usdcAs(chain: DemoChain, who: DemoAccount) {
  return getContract({ address: chain.usdc, abi: mockERC20PermitAbi, client: chain.wallet(who) });
}

/** Something that follows the chain a batch of blocks at a time (the vault's or the pool's indexer). */
interface Follower {
  runOnce(): Promise<{ caughtUp: boolean }>;
}

/** Runs the indexers (in order, every round) until all of them have caught up with the chain. */
export async function catchUp(indexers: readonly Follower[], what: string): Promise<void> {
  for (let run = 0; run < 20; run += 1) {
    let caughtUp = true;
    for (const indexer of indexers) caughtUp = (await indexer.runOnce()).caughtUp && caughtUp;
    if (caughtUp) return;
  }
  throw new JourneyCheckError(`${what} did not catch up with the chain in 20 runs`);
}

/** A milestone's state on chain, by name (`Open`, `Released`, `Slashed`, …). */
export async function milestoneState(
  chain: DemoChain,
  commitmentId: bigint,
  index: number,
): Promise<MilestoneState> {
  const state = await vaultContract(chain).read.milestoneState([commitmentId, BigInt(index)]);
  return milestoneStateFromIndex(state);
}

/** The states of a commitment's first `count` milestones, read one after the other. */
export async function milestoneStates(
  chain: DemoChain,
  commitmentId: bigint,
  count: number,
): Promise<MilestoneState[]> {
  const states: MilestoneState[] = [];
  for (let i = 0; i < count; i += 1) states.push(await milestoneState(chain, commitmentId, i));
  return states;
}

/** The share a milestone pays (the vault's own arithmetic). */
export function milestoneAmount(chain: DemoChain, commitmentId: bigint, index: number): Promise<bigint> {
  return vaultContract(chain).read.milestoneAmount([commitmentId, BigInt(index)]);
}

/** What the vault owes `who` in `token` (the zero address for ETH). */
export function vaultCredits(chain: DemoChain, who: Address, token: Address): Promise<bigint> {
  return vaultContract(chain).read.credits([who, token]);
}

/** Asks the agent's oracle for a milestone's attestation as the commitment's owner. */
export async function requestAttestation(
  session: AgentSession,
  commitmentId: bigint,
  index: number,
  what = `POST /api/commitments/${commitmentId}/milestones/${index}/attestation`,
): Promise<AttestationView> {
  const route = `/api/commitments/${commitmentId}/milestones/${index}/attestation`;
  return expectStatus(await session.post<AttestationView>(route), 200, what);
}

/** Sends `claimMilestone` from `who`'s wallet with the oracle's attestation; the transaction's hash. */
export function claimMilestone(
  chain: DemoChain,
  who: DemoAccount,
  commitmentId: bigint,
  index: number,
  attestation: AttestationView,
): Promise<Hex> {
  return vaultAs(chain, who).write.claimMilestone([
    commitmentId,
    BigInt(index),
    attestation.evidenceHash,
    BigInt(attestation.validUntil),
    [attestation.signature],
  ]);
}
