/** The connected account's balance of the asset chosen in the form (ETH or an allowlisted token), with its unit. */
import type { Address } from "viem";
import { useBalance, useReadContract } from "wagmi";
import { mockERC20PermitAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";

export interface StakeBalance {
  /** Undefined while loading. */
  balance: bigint | undefined;
  symbol: string;
  decimals: number;
}

export function useStakeBalance(
  deployment: Deployment,
  asset: string,
  address: Address | undefined,
): StakeBalance {
  const token = deployment.tokens.find((t) => t.address === asset);
  const ethBalance = useBalance({
    address,
    chainId: deployment.chainId,
    query: { enabled: token === undefined },
  });
  const tokenBalance = useReadContract({
    chainId: deployment.chainId,
    address: token?.address,
    abi: mockERC20PermitAbi,
    functionName: "balanceOf",
    args: address ? [address] : undefined,
    query: { enabled: token !== undefined && address !== undefined },
  });
  return {
    balance: token === undefined ? ethBalance.data?.value : tokenBalance.data,
    symbol: token?.symbol ?? "ETH",
    decimals: token?.decimals ?? 18,
  };
}
