/**
 * The owner's recourse in vault v2, from the dashboard:
 * - appeal a milestone whose window ended before its claim deadline (oracles wrong or gone), posting the vault's
 *   `appealBond` (a tenth of the share): as ETH value, or for an ERC-20 stake `approve` first (skipped when the
 *   allowance already covers the bond), then `appeal`;
 * - expire an appeal nobody ruled on within 14 days of unpaused time (anyone may; share and bond go back to the
 *   owner);
 * - exit a commitment while the vault's `exitAvailable()` is true (anyone may; forfeited milestones go to the
 *   beneficiary, the rest back to the owner).
 * Every transaction goes through chain/transactor.ts: simulated first (a revert comes back as the decoded custom
 * error before the wallet is asked), then written and its receipt awaited.
 */
import { type Address, zeroAddress } from "viem";
import { readContract } from "wagmi/actions";
import { vaultContract } from "../chain/contracts.ts";
import type { Deployment } from "../chain/deployments.ts";
import { approve, readAllowance } from "../chain/tokenFunding.ts";
import { transact, useContractCall, useWalletMutation } from "../chain/transactor.ts";

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

export interface AppealRef {
  commitmentId: bigint;
  index: number;
  /** The commitment's stake token (`zeroAddress` for ETH). */
  token: Address;
}

/** Appeals one milestone: reads the bond from the vault, approves the token if needed, then appeals. */
export function useAppealMilestone(deployment: Deployment, account: Address | undefined) {
  const vault = vaultContract(deployment);
  return useWalletMutation(
    account,
    async ({ config, account }, { commitmentId, index, token }: AppealRef) => {
      const milestone = [commitmentId, BigInt(index)] as const;
      const bond = await readContract(config, { ...vault, functionName: "appealBond", args: milestone });
      const funding = { chainId: vault.chainId, token, owner: account, spender: vault.address };
      const allowance = token === zeroAddress ? 0n : await readAllowance(config, funding);
      const plan = planAppeal({ token, bond, allowance });
      if (plan.approve !== null) await approve(config, { ...funding, amount: plan.approve });
      const { hash } = await transact(config, {
        ...vault,
        account,
        functionName: "appeal",
        args: milestone,
        value: plan.value,
      });
      return { hash, index, bond, approved: plan.approve !== null };
    },
  );
}

/** Expires an appeal nobody ruled on in time: the share and the bond go back to the owner. */
export function useExpireAppeal(deployment: Deployment, account: Address | undefined) {
  return useContractCall(
    account,
    ({ commitmentId, index }: { commitmentId: bigint; index: number }, account) => ({
      ...vaultContract(deployment),
      account,
      functionName: "expireAppeal",
      args: [commitmentId, BigInt(index)],
    }),
    (hash, { index }) => ({ hash, index }),
  );
}

/** Exits a commitment while the vault's `exitAvailable()` is true. */
export function useExitCommitment(deployment: Deployment, account: Address | undefined) {
  return useContractCall(
    account,
    (commitmentId: bigint, account) => ({
      ...vaultContract(deployment),
      account,
      functionName: "exit",
      args: [commitmentId],
    }),
    (hash, commitmentId) => ({ hash, commitmentId }),
  );
}
