/**
 * Claims and slashes from the dashboard. Claim: gather the oracle quorum for each milestone from every oracle agent
 * of the deployment (oracles/quorum.ts: `threshold` signatures, sorted by signer), then submit `claimMilestone` —
 * several at once in one transaction through the vault's `multicall`. Slash: settle missed
 * windows (permissionless once the claim deadline passed), batched the same way. Each batch goes through
 * chain/transactor.ts: simulated first, so a revert comes back as a decoded custom error.
 */
import { type Address, encodeFunctionData, type Hex } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { vaultContract } from "../chain/contracts.ts";
import type { Deployment } from "../chain/deployments.ts";
import { transact, useWalletMutation, type Wallet } from "../chain/transactor.ts";
import { gatherMilestoneQuorum, quorumCalldata, readOracleSet } from "../oracles/quorumClaim.ts";

export interface MilestoneRef {
  commitmentId: bigint;
  index: number;
}

/** At most this many milestones per transaction. */
export const MAX_BATCH = 20;

export function claimCalldata(att: {
  commitmentId: bigint;
  milestoneIndex: bigint;
  evidenceHash: Hex;
  validUntil: bigint;
  signature: Hex;
}): Hex {
  return encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "claimMilestone",
    args: [att.commitmentId, att.milestoneIndex, att.evidenceHash, att.validUntil, [att.signature]],
  });
}

export function slashCalldata(ref: MilestoneRef): Hex {
  return encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "slash",
    args: [ref.commitmentId, BigInt(ref.index)],
  });
}

async function sendBatch({ config, account }: Wallet, deployment: Deployment, calls: Hex[]): Promise<Hex> {
  const { hash } = await transact(config, {
    ...vaultContract(deployment),
    account,
    functionName: "multicall",
    args: [calls],
  });
  return hash;
}

export function useClaimMilestones(deployment: Deployment, account: Address | undefined) {
  return useWalletMutation(account, async (wallet, refs: MilestoneRef[]) => {
    const batch = refs.slice(0, MAX_BATCH);
    // Every oracle agent of the deployment is asked; `threshold` signatures over one attestation per milestone.
    const set = await readOracleSet(wallet.config, deployment);
    const quorums = [];
    for (const ref of batch)
      quorums.push(
        await gatherMilestoneQuorum({
          deployment,
          set,
          commitmentId: ref.commitmentId,
          index: ref.index,
          config: wallet.config,
        }),
      );
    const hash = await sendBatch(wallet, deployment, quorums.map(quorumCalldata));
    return { hash, count: batch.length };
  });
}

export function useSlashMilestones(deployment: Deployment, account: Address | undefined) {
  return useWalletMutation(account, async (wallet, refs: MilestoneRef[]) => {
    const batch = refs.slice(0, MAX_BATCH);
    const hash = await sendBatch(wallet, deployment, batch.map(slashCalldata));
    return { hash, count: batch.length };
  });
}
