/**
 * What the Challenges screens read straight from the pool (exact amounts, never the agent's copy): the caller's
 * winnings still to claim (`winningsOf`), pool credits in the challenge's token (`credits`), and which of the
 * caller's vault commitments are challenge seats (`Joined` logs, participant is an indexed topic), so the
 * dashboard can link a commitment to its challenge.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { usePublicClient } from "wagmi";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";
import { LOG_CHUNK_BLOCKS, MAX_LOG_CHUNKS } from "../chain/vaultReads.ts";

export function usePoolSeat(
  deployment: Deployment,
  challengeId: bigint,
  token: Address | undefined,
  account: Address | undefined,
) {
  const client = usePublicClient({ chainId: deployment.chainId });
  const pool = deployment.challengePool?.address;
  return useQuery({
    queryKey: ["pool-seat", deployment.chainId, pool, challengeId.toString(), token, account],
    enabled: client !== undefined && pool !== undefined && account !== undefined && token !== undefined,
    queryFn: async () => {
      if (client === undefined || pool === undefined || account === undefined || token === undefined) {
        throw new Error("No pool, token or account.");
      }
      const [winnings, credits] = await Promise.all([
        client.readContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "winningsOf",
          args: [challengeId, account],
        }),
        client.readContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "credits",
          args: [account, token],
        }),
      ]);
      return { winnings, credits };
    },
  });
}

/** commitment id → challenge id, for the caller's seats (bounded like the vault's own listing). */
export function useMyChallengeSeats(deployment: Deployment, account: Address | undefined) {
  const client = usePublicClient({ chainId: deployment.chainId });
  const pool = deployment.challengePool;
  return useQuery({
    queryKey: ["my-challenge-seats", deployment.chainId, pool?.address, account],
    enabled: client !== undefined && pool !== undefined && account !== undefined,
    queryFn: async () => {
      const seats = new Map<string, bigint>();
      if (client === undefined || pool === undefined || account === undefined) return seats;
      // Newest first, like the vault's own listing, so the bound keeps the recent seats.
      const deploymentBlock = BigInt(pool.deploymentBlock);
      let to = await client.getBlockNumber();
      for (let chunk = 0; chunk < MAX_LOG_CHUNKS && to >= deploymentBlock; chunk++) {
        const from =
          to - LOG_CHUNK_BLOCKS + 1n > deploymentBlock ? to - LOG_CHUNK_BLOCKS + 1n : deploymentBlock;
        const logs = await client.getContractEvents({
          address: pool.address,
          abi: challengePoolAbi,
          eventName: "Joined",
          args: { participant: account },
          fromBlock: from,
          toBlock: to,
        });
        for (const log of logs) {
          if (log.args.commitmentId !== undefined && log.args.challengeId !== undefined) {
            seats.set(log.args.commitmentId.toString(), log.args.challengeId);
          }
        }
        to = from - 1n;
      }
      return seats;
    },
  });
}
