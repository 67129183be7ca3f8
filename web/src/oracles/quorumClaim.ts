/**
 * The quorum of one milestone from this deployment's oracle agents (oracleAgents.ts), against the vault's CURRENT
 * oracle set and threshold read from the chain (the build-time record may be stale after `setOracles`), and the
 * `claimMilestone` calldata that submits it.
 */
import { type Address, encodeFunctionData, type Hex } from "viem";
import type { Config } from "wagmi";
import { readContract } from "wagmi/actions";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";
import { type OracleAgent, oracleAgentsFor } from "./oracleAgents.ts";
import { fetchAgentCommitment, listAgentWorkouts, requestAttestation } from "./oracleClient.ts";
import { gatherQuorum, type Quorum, type QuorumDependencies, qualifyingWorkouts } from "./quorum.ts";
import { isGenuineAttestation } from "./verifyAttestation.ts";

export const liveQuorumDependencies: QuorumDependencies = {
  attest: (agent, id, index, workouts) => requestAttestation(agent.url, id, index, workouts),
  evidence: async (agent, id, index) => {
    const [commitment, workouts] = await Promise.all([
      fetchAgentCommitment(agent.url, id),
      listAgentWorkouts(agent.url),
    ]);
    const milestone = commitment.milestones.find((m) => m.index === index);
    return {
      required: milestone?.progress?.required ?? 0,
      workouts: qualifyingWorkouts(workouts, id, index),
    };
  },
};

export interface OracleSet {
  oracles: readonly Address[];
  threshold: number;
}

export async function readOracleSet(config: Config, deployment: Deployment): Promise<OracleSet> {
  const at = {
    chainId: deployment.chainId,
    address: deployment.vault.address,
    abi: commitmentVaultAbi,
  } as const;
  const [oracles, threshold] = await Promise.all([
    readContract(config, { ...at, functionName: "oracles" }),
    readContract(config, { ...at, functionName: "threshold" }),
  ]);
  return { oracles, threshold: Number(threshold) };
}

export async function gatherMilestoneQuorum(parameters: {
  deployment: Deployment;
  set: OracleSet;
  commitmentId: bigint;
  index: number;
  agents?: readonly OracleAgent[];
  deps?: QuorumDependencies;
  /** When given, every signature is checked against the commitment's on-chain rulesHash before it counts. */
  config?: Config;
}): Promise<Quorum> {
  const { config, deployment } = parameters;
  let verify: ((a: Parameters<typeof isGenuineAttestation>[1]) => Promise<boolean>) | undefined;
  if (config !== undefined) {
    const { rulesHash } = await readContract(config, {
      chainId: deployment.chainId,
      address: deployment.vault.address,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [parameters.commitmentId],
    });
    const context = { chainId: deployment.chainId, vault: deployment.vault.address, rulesHash };
    verify = (a) => isGenuineAttestation(context, a);
  }
  return gatherQuorum({
    ...(verify === undefined ? {} : { verify }),
    agents: parameters.agents ?? oracleAgentsFor(parameters.deployment.chainId),
    commitmentId: parameters.commitmentId,
    milestoneIndex: parameters.index,
    threshold: parameters.set.threshold,
    oracles: parameters.set.oracles,
    deps: parameters.deps ?? liveQuorumDependencies,
  });
}

export function quorumCalldata(q: Quorum): Hex {
  return encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "claimMilestone",
    args: [q.commitmentId, BigInt(q.milestoneIndex), q.evidenceHash, q.validUntil, q.signatures],
  });
}
