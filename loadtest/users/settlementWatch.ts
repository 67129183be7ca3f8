/**
 * The runner's view of the vault's settlements while it waits for them (`run.ts`, after the journeys): the
 * `MilestoneReleased` and `MilestoneSlashed` events followed from the deployment block on, each block read once,
 * in ranges (`readInRanges`). One `eth_getLogs` from the deployment block each time (the first version) was
 * answered with more than viem's 10 MiB response limit at 10,000 users, and the run died before its audit.
 */
import type { Address, PublicClient } from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { readInRanges } from "../audit/blockRanges.ts";

export interface SettlementWatch {
  /** Reads the blocks mined since the last call; answers every milestone settled so far (`id:index`). */
  poll(): Promise<{ released: ReadonlySet<string>; slashed: ReadonlySet<string> }>;
}

export function watchSettlements(
  client: Pick<PublicClient, "getBlockNumber" | "getContractEvents">,
  vault: Address,
  fromBlock: bigint,
): SettlementWatch {
  const released = new Set<string>();
  const slashed = new Set<string>();
  let next = fromBlock;
  const read = (eventName: "MilestoneReleased" | "MilestoneSlashed", from: bigint, to: bigint) =>
    readInRanges(from, to, (a, b) =>
      client.getContractEvents({
        address: vault,
        abi: commitmentVaultAbi,
        eventName,
        fromBlock: a,
        toBlock: b,
      }),
    );
  return {
    async poll() {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      if (next > head) return { released, slashed };
      const [r, s] = await Promise.all([
        read("MilestoneReleased", next, head),
        read("MilestoneSlashed", next, head),
      ]);
      for (const log of r) released.add(`${log.args.id}:${log.args.index}`);
      for (const log of s) slashed.add(`${log.args.id}:${log.args.index}`);
      next = head + 1n;
      return { released, slashed };
    },
  };
}
