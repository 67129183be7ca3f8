/**
 * A released milestone's note on who claimed it: "claimed for you by the agent" when the release came from a
 * transaction the owner did not send (the agent's relayer: automatic settlement or a gasless claim). Nothing
 * while unknown or when the owner claimed it.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { usePublicClient } from "wagmi";
import type { Deployment } from "../chain/deployments.ts";
import { releaseSenderOf } from "./releaseSender.ts";

export interface ReleasedByProps {
  deployment: Deployment;
  owner: Address;
  commitmentId: bigint;
  index: number;
}

export function ReleasedBy({ deployment, owner, commitmentId, index }: ReleasedByProps) {
  const client = usePublicClient({ chainId: deployment.chainId });
  const sender = useQuery({
    queryKey: [
      "release-sender",
      deployment.chainId,
      deployment.vault.address,
      commitmentId.toString(),
      index,
    ],
    enabled: client !== undefined,
    // A release never changes: read once.
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
    queryFn: () => {
      if (client === undefined) throw new Error("no client");
      return releaseSenderOf(client, {
        vault: deployment.vault.address,
        owner,
        commitmentId,
        index,
        fromBlock: BigInt(deployment.vault.deploymentBlock),
      });
    },
  });
  if (sender.data !== "other") return null;
  return <span data-testid="released-by-agent"> (claimed for you by the agent)</span>;
}
