/**
 * Who released a milestone: the owner's own claim, or someone else's transaction — the agent's relayer, which
 * claims a met milestone itself (automatic settlement) or on the owner's gasless request. Read from the vault's
 * `MilestoneReleased` log for that commitment and milestone (both indexed, so one filtered `eth_getLogs`) and
 * its transaction's sender. `null` when it cannot be told (no log in range, the RPC refused the range).
 */
import { type Address, getAbiItem, type PublicClient } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";

export type ReleaseSender = "owner" | "other";

const RELEASED = getAbiItem({ abi: commitmentVaultAbi, name: "MilestoneReleased" });

export interface ReleaseSenderParameters {
  vault: Address;
  owner: Address;
  commitmentId: bigint;
  index: number;
  /** The vault's deployment block: nothing to find before it. */
  fromBlock: bigint;
}

export async function releaseSenderOf(
  client: Pick<PublicClient, "getLogs" | "getTransaction">,
  p: ReleaseSenderParameters,
): Promise<ReleaseSender | null> {
  let logs: { transactionHash: `0x${string}` | null }[];
  try {
    logs = await client.getLogs({
      address: p.vault,
      event: RELEASED,
      args: { id: p.commitmentId, index: BigInt(p.index) },
      fromBlock: p.fromBlock,
      toBlock: "latest",
    });
  } catch {
    return null;
  }
  const hash = logs[0]?.transactionHash;
  if (hash == null) return null;
  const tx = await client.getTransaction({ hash });
  return tx.from.toLowerCase() === p.owner.toLowerCase() ? "owner" : "other";
}
