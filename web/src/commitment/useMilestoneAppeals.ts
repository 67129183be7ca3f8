/**
 * The owner's recourse in vault v2, from the dashboard:
 * - appeal a milestone whose window ended before its claim deadline (oracles wrong or gone), posting the vault's
 *   `appealBond` (a tenth of the share): as ETH value, or for an ERC-20 stake `approve` first (skipped when the
 *   allowance already covers the bond), then `appeal`;
 * - expire an appeal nobody ruled on within 14 days of unpaused time (anyone may; share and bond go back to the
 *   owner);
 * - exit a commitment while the vault's `exitAvailable()` is true (anyone may; forfeited milestones go to the
 *   beneficiary, the rest back to the owner).
 * Every transaction is simulated first (a revert comes back as the decoded custom error before the wallet is
 * asked), then written and its receipt awaited (`mined`).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type Address, erc20Abi, type Hex, zeroAddress } from "viem";
import { useConfig } from "wagmi";
import { readContract, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";

type Config = ReturnType<typeof useConfig>;

export interface AppealPlan {
  /** The allowance to approve first (ERC-20 whose allowance is short), or null. */
  approve: bigint | null;
  /** ETH sent with `appeal`. */
  value: bigint;
}

/** What an appeal needs besides the call itself: the bond as ETH value, or an approval of the token. */
export function planAppeal({
  token,
  bond,
  allowance,
}: {
  token: Address;
  bond: bigint;
  /** The owner's current allowance to the vault (ERC-20 only). */
  allowance: bigint;
}): AppealPlan {
  if (token === zeroAddress) return { approve: null, value: bond };
  return { approve: allowance >= bond ? null : bond, value: 0n };
}

/** Waits for a written transaction's receipt; throws when it reverted on chain. */
async function mined(config: Config, chainId: number, hash: Hex): Promise<Hex> {
  const receipt = await waitForTransactionReceipt(config, { chainId, hash });
  if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
  return hash;
}

export interface AppealRef {
  commitmentId: bigint;
  index: number;
  /** The commitment's stake token (`zeroAddress` for ETH). */
  token: Address;
}

/** Appeals one milestone: reads the bond from the vault, approves the token if needed, then appeals. */
export function useAppealMilestone(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  const { chainId } = deployment;
  const vault = deployment.vault.address;
  return useMutation({
    mutationFn: async ({ commitmentId, index, token }: AppealRef) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const bond = await readContract(config, {
        chainId,
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "appealBond",
        args: [commitmentId, BigInt(index)],
      });
      const allowance =
        token === zeroAddress
          ? 0n
          : await readContract(config, {
              chainId,
              address: token,
              abi: erc20Abi,
              functionName: "allowance",
              args: [account, vault],
            });
      const plan = planAppeal({ token, bond, allowance });
      if (plan.approve !== null) {
        const approve = await simulateContract(config, {
          chainId,
          account,
          address: token,
          abi: erc20Abi,
          functionName: "approve",
          args: [vault, plan.approve],
        });
        await mined(config, chainId, await writeContract(config, approve.request));
      }
      const appeal = await simulateContract(config, {
        chainId,
        account,
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "appeal",
        args: [commitmentId, BigInt(index)],
        value: plan.value,
      });
      const hash = await mined(config, chainId, await writeContract(config, appeal.request));
      return { hash, index, bond, approved: plan.approve !== null };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/** Expires an appeal nobody ruled on in time: the share and the bond go back to the owner. */
export function useExpireAppeal(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ commitmentId, index }: { commitmentId: bigint; index: number }) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: deployment.vault.address,
        abi: commitmentVaultAbi,
        functionName: "expireAppeal",
        args: [commitmentId, BigInt(index)],
      });
      const hash = await mined(config, deployment.chainId, await writeContract(config, sim.request));
      return { hash, index };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/** Exits a commitment while the vault's `exitAvailable()` is true. */
export function useExitCommitment(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (commitmentId: bigint) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: deployment.vault.address,
        abi: commitmentVaultAbi,
        functionName: "exit",
        args: [commitmentId],
      });
      const hash = await mined(config, deployment.chainId, await writeContract(config, sim.request));
      return { hash, commitmentId };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}
