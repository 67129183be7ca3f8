/**
 * Two dashboard transactions, through the same flow as claim and appeal (simulate first, so a revert comes back
 * as the vault's decoded custom error before the wallet is asked; then write and await the receipt):
 * - `withdraw(token)`: a beneficiary takes its credit in one token;
 * - `cancel(id)`: the owner takes the whole stake back before the first window opens.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Address, Hex } from "viem";
import { useConfig } from "wagmi";
import { simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";
import { withdrawnAmount } from "./credits.ts";

type Config = ReturnType<typeof useConfig>;

async function mined(config: Config, chainId: number, hash: Hex): Promise<Hex> {
  const receipt = await waitForTransactionReceipt(config, { chainId, hash });
  if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
  return hash;
}

/** Withdraws the account's whole credit in one token (`zeroAddress` for ETH). */
export function useWithdrawCredit(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ token, amount }: { token: Address; amount: bigint }) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: deployment.vault.address,
        abi: commitmentVaultAbi,
        functionName: "withdraw",
        args: [token],
      });
      const hash = await writeContract(config, sim.request);
      const receipt = await waitForTransactionReceipt(config, { chainId: deployment.chainId, hash });
      if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
      // What was really paid (the credit may have grown since it was shown), and to whom (see BeneficiaryCredits).
      const paid = withdrawnAmount(receipt.logs, deployment.vault.address, account, token);
      return { hash, token, amount: paid ?? amount, account };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/** Cancels a commitment before its first window opens: the whole stake goes back to the owner. */
export function useCancelCommitment(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ commitmentId, amount }: { commitmentId: bigint; amount: bigint }) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: deployment.vault.address,
        abi: commitmentVaultAbi,
        functionName: "cancel",
        args: [commitmentId],
      });
      const hash = await mined(config, deployment.chainId, await writeContract(config, sim.request));
      return { hash, commitmentId, amount };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}
