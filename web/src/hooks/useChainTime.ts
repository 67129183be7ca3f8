/**
 * The chain's clock: the latest block's timestamp and its offset from this computer's clock, so countdowns and
 * "can this be claimed yet" follow the chain (which a local node can move with time travel), not the wall.
 */
import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";

export interface ChainTime {
  /** Unix seconds of the latest block. */
  blockTime: number;
  /** How far the chain runs ahead of the wall clock (time travel on a local node), in milliseconds; >= 0. */
  offsetMs: number;
}

export function useChainTime(chainId: number) {
  const client = usePublicClient({ chainId });
  return useQuery({
    queryKey: ["chainTime", chainId],
    enabled: client !== undefined,
    refetchInterval: 15_000,
    queryFn: async (): Promise<ChainTime> => {
      if (client === undefined) throw new Error("no client for this chain");
      const block = await client.getBlock({ blockTag: "latest" });
      const blockTime = Number(block.timestamp);
      // Never behind the wall: a quiet chain's latest block is old, but the next one will be stamped "now".
      return { blockTime, offsetMs: Math.max(0, blockTime * 1000 - Date.now()) };
    },
  });
}
