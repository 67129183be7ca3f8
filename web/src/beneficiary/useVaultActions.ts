/**
 * Two dashboard transactions, through the app's one transaction flow (chain/transactor.ts: simulate first, so a
 * revert comes back as the vault's decoded custom error before the wallet is asked; then write and await the
 * receipt):
 * - `withdraw(token)`: a beneficiary takes its credit in one token;
 * - `cancel(id)`: the owner takes the whole stake back before the first window opens.
 */
import type { Address } from "viem";
import { vaultContract } from "../chain/contracts.ts";
import type { Deployment } from "../chain/deployments.ts";
import { transact, useContractCall, useWalletMutation } from "../chain/transactor.ts";
import { withdrawnAmount } from "./credits.ts";

/** Withdraws the account's whole credit in one token (`zeroAddress` for ETH). */
export function useWithdrawCredit(deployment: Deployment, account: Address | undefined) {
  return useWalletMutation(
    account,
    async ({ config, account }, { token, amount }: { token: Address; amount: bigint }) => {
      const vault = vaultContract(deployment);
      const { hash, receipt } = await transact(config, {
        ...vault,
        account,
        functionName: "withdraw",
        args: [token],
      });
      // What was really paid (the credit may have grown since it was shown), and to whom (see BeneficiaryCredits).
      const paid = withdrawnAmount(receipt.logs, vault.address, account, token);
      return { hash, token, amount: paid ?? amount, account };
    },
  );
}

/** Cancels a commitment before its first window opens: the whole stake goes back to the owner. */
export function useCancelCommitment(deployment: Deployment, account: Address | undefined) {
  return useContractCall(
    account,
    ({ commitmentId }: { commitmentId: bigint; amount: bigint }, account) => ({
      ...vaultContract(deployment),
      account,
      functionName: "cancel",
      args: [commitmentId],
    }),
    (hash, { commitmentId, amount }) => ({ hash, commitmentId, amount }),
  );
}
