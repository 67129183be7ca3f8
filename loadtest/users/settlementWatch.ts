/**
 * The runner's view of the vault's settlements while it waits for them (`run.ts`, after the journeys): the
 * `MilestoneReleased` and `MilestoneSlashed` events followed from the deployment block on, in ranges of 2,000
 * blocks, each block read once. One `eth_getLogs` from the deployment block each time (the first version) was
 * answered with more than viem's 10 MiB response limit at 10,000 users, and the run died before its audit.
 */
import type { Address, PublicClient } from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";

const RANGE = 2_000n;

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
    client.getContractEvents({
      address: vault,
      abi: commitmentVaultAbi,
      eventName,
      fromBlock: from,
      toBlock: to,
    });
  return {
    async poll() {
      const head = await client.getBlockNumber();
      while (next <= head) {
        const to = next + RANGE - 1n > head ? head : next + RANGE - 1n;
        const [r, s] = await Promise.all([
          read("MilestoneReleased", next, to),
          read("MilestoneSlashed", next, to),
        ]);
        for (const log of r) released.add(`${log.args.id}:${log.args.index}`);
        for (const log of s) slashed.add(`${log.args.id}:${log.args.index}`);
        next = to + 1n;
      }
      return { released, slashed };
    },
  };
}
