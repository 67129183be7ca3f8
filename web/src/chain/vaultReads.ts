/**
 * Reads a commitment and all its milestones straight from the vault: `getCommitment` first, then every
 * milestone's state, amount, claim deadline, appeal (`appealOf`) and appeal bond (`appealBond`) in ONE
 * `eth_call` through the vault's own `multicall`. Also the vault's pause and exit flags. Which commitments are
 * an owner's: commitment/commitmentSource.ts (the agent, or chain/commitmentIndex.ts when it is down).
 */
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex, type PublicClient } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { type ChainMilestoneState, chainStateOf } from "./milestoneStatus.ts";

export interface MilestoneView {
  index: number;
  state: ChainMilestoneState;
  amount: bigint;
  /** Unix seconds. */
  windowStart: number;
  windowEnd: number;
  claimDeadline: number;
  /** What an appeal costs now (`appealBond`: a tenth of the share, at least 1 unit), in the stake's token. */
  appealBond: bigint;
  /** The owner's appeal once made (`appealOf`); it stays after the ruling, the state says how it ended. */
  appeal: { appealedAt: number; bond: bigint } | null;
}

/** Calls per milestone in `readCommitment`'s batch. */
const CALLS_PER_MILESTONE = 5;

export interface CommitmentView {
  id: bigint;
  owner: Address;
  token: Address;
  amount: bigint;
  start: number;
  period: number;
  grace: number;
  beneficiary: Address;
  rulesHash: Hex;
  closed: boolean;
  milestones: MilestoneView[];
}

/** The most commitment ids listed per owner. */
export const MAX_COMMITMENTS = 50;
/** Blocks per `eth_getLogs` request and the most requests per listing. */
export const LOG_CHUNK_BLOCKS = 10_000n;
export const MAX_LOG_CHUNKS = 50;

export async function readCommitment(
  client: PublicClient,
  vault: Address,
  id: bigint,
): Promise<CommitmentView> {
  const c = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "getCommitment",
    args: [id],
  });
  const count = Number(c.milestones);
  const calls: Hex[] = [];
  for (let i = 0n; i < BigInt(count); i++) {
    calls.push(
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "milestoneState", args: [id, i] }),
    );
    calls.push(
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "milestoneAmount", args: [id, i] }),
    );
    calls.push(encodeFunctionData({ abi: commitmentVaultAbi, functionName: "claimDeadline", args: [id, i] }));
    calls.push(encodeFunctionData({ abi: commitmentVaultAbi, functionName: "appealOf", args: [id, i] }));
    calls.push(encodeFunctionData({ abi: commitmentVaultAbi, functionName: "appealBond", args: [id, i] }));
  }
  let results: readonly Hex[] = [];
  if (calls.length > 0) {
    // `multicall` is not a view in the ABI, but as an eth_call it only reads.
    const { data } = await client.call({
      to: vault,
      data: encodeFunctionData({ abi: commitmentVaultAbi, functionName: "multicall", args: [calls] }),
    });
    if (data === undefined) throw new Error(`the vault answered nothing for commitment ${id}`);
    results = decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", data });
  }
  const start = Number(c.start);
  const period = Number(c.period);
  const milestones: MilestoneView[] = [];
  for (let i = 0; i < count; i++) {
    const at = (k: number): Hex => {
      const data = results[i * CALLS_PER_MILESTONE + k];
      if (data === undefined) throw new Error(`multicall answered too few results for commitment ${id}`);
      return data;
    };
    const state = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "milestoneState",
      data: at(0),
    });
    const amount = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "milestoneAmount",
      data: at(1),
    });
    const deadline = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "claimDeadline",
      data: at(2),
    });
    const [appealedAt, bond] = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "appealOf",
      data: at(3),
    });
    const appealBond = decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "appealBond",
      data: at(4),
    });
    milestones.push({
      index: i,
      state: chainStateOf(Number(state)),
      amount,
      windowStart: start + i * period,
      windowEnd: start + (i + 1) * period,
      claimDeadline: Number(deadline),
      appealBond,
      appeal: appealedAt > 0n ? { appealedAt: Number(appealedAt), bond } : null,
    });
  }
  return {
    id,
    owner: c.owner,
    token: c.token,
    amount: c.amount,
    start,
    period,
    grace: Number(c.grace),
    beneficiary: c.beneficiary,
    rulesHash: c.rulesHash,
    closed: c.closed,
    milestones,
  };
}

export interface VaultFlags {
  paused: boolean;
  /** `exitAvailable()`: paused 30 of the last 31 days, so anyone may `exit` a commitment. */
  exitAvailable: boolean;
}

/** The vault's `paused()` and `exitAvailable()`, in one `eth_call`. */
export async function readVaultFlags(client: PublicClient, vault: Address): Promise<VaultFlags> {
  const { data } = await client.call({
    to: vault,
    data: encodeFunctionData({
      abi: commitmentVaultAbi,
      functionName: "multicall",
      args: [
        [
          encodeFunctionData({ abi: commitmentVaultAbi, functionName: "paused" }),
          encodeFunctionData({ abi: commitmentVaultAbi, functionName: "exitAvailable" }),
        ],
      ],
    }),
  });
  if (data === undefined) throw new Error("the vault answered nothing for its pause state");
  const [pausedData, exitData] = decodeFunctionResult({
    abi: commitmentVaultAbi,
    functionName: "multicall",
    data,
  });
  if (pausedData === undefined || exitData === undefined)
    throw new Error("multicall answered too few results");
  return {
    paused: decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "paused", data: pausedData }),
    exitAvailable: decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "exitAvailable",
      data: exitData,
    }),
  };
}
