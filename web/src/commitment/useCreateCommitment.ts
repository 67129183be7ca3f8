/**
 * The create-commitment transaction flow, step by step so the screen can show each one:
 * register the rules with the agent (its rulesHash must equal the browser's) → for a token: EIP-2612 permit
 * signature when the token supports it, else `approve` (skipped when the allowance already covers the stake)
 * → `createCommitment` / `createCommitmentWithPermit` → wait for the receipt → the new commitment id.
 * Every transaction is simulated first, so a revert is reported with its decoded custom error before the
 * wallet is even asked.
 */
import { useCallback, useState } from "react";
import { type Address, type Hex, parseEventLogs, parseSignature } from "viem";
import { useConfig } from "wagmi";
import {
  readContract,
  signTypedData,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "wagmi/actions";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { registerRules } from "../api/agentClient.ts";
import type { Deployment } from "../chain/deployments.ts";
import { rulesHashOf } from "../rules/rulesHash.ts";
import type { ValidCommitment } from "./commitmentForm.ts";

export type StepId = "rules" | "permit" | "approve" | "create" | "confirm";
export type StepStatus = "todo" | "active" | "done" | "skipped";

export interface FlowStep {
  id: StepId;
  label: string;
  status: StepStatus;
  detail?: string;
}

export type FlowState =
  | { phase: "idle" }
  | { phase: "running"; steps: FlowStep[] }
  | { phase: "failed"; steps: FlowStep[]; error: unknown }
  | { phase: "confirmed"; steps: FlowStep[]; commitmentId: bigint; txHash: Hex };

export function plannedSteps(c: Pick<ValidCommitment, "tokenInfo">): FlowStep[] {
  const steps: FlowStep[] = [{ id: "rules", label: "Register the rules with the agent", status: "todo" }];
  if (c.tokenInfo !== undefined) {
    steps.push(
      c.tokenInfo.permit
        ? { id: "permit", label: `Sign a permit for ${c.tokenInfo.symbol} (no transaction)`, status: "todo" }
        : { id: "approve", label: `Approve ${c.tokenInfo.symbol} for the vault`, status: "todo" },
    );
  }
  steps.push(
    { id: "create", label: "Create the commitment in your wallet", status: "todo" },
    { id: "confirm", label: "Wait for the transaction to be confirmed", status: "todo" },
  );
  return steps;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export function useCreateCommitment(deployment: Deployment) {
  const config = useConfig();
  const [state, setState] = useState<FlowState>({ phase: "idle" });

  const run = useCallback(
    async (c: ValidCommitment, owner: Address) => {
      let steps = plannedSteps(c);
      const mark = (id: StepId, status: StepStatus, detail?: string) => {
        steps = steps.map((s) => (s.id === id ? { ...s, status, ...(detail ? { detail } : {}) } : s));
        setState({ phase: "running", steps });
      };
      const vault = deployment.vault.address;
      const chainId = deployment.chainId;
      setState({ phase: "running", steps });
      let current: StepId = "rules";
      try {
        mark("rules", "active");
        const local = rulesHashOf(c.rules);
        const remote = await registerRules(c.rules);
        if (remote.rulesHash !== local.rulesHash) {
          throw new Error(
            `The agent computed a different rules hash (${remote.rulesHash}) than this browser (${local.rulesHash}). Nothing was sent.`,
          );
        }
        mark("rules", "done", local.rulesHash);
        const params = {
          token: c.token,
          amount: c.amount,
          start: BigInt(c.start),
          period: c.period,
          milestones: c.milestones,
          grace: c.grace,
          beneficiary: c.beneficiary,
          rulesHash: local.rulesHash,
        } as const;

        let hash: Hex;
        if (c.tokenInfo === undefined) {
          current = "create";
          mark("create", "active");
          const sim = await simulateContract(config, {
            chainId,
            account: owner,
            address: vault,
            abi: commitmentVaultAbi,
            functionName: "createCommitment",
            args: [params],
            value: c.amount,
          });
          hash = await writeContract(config, sim.request);
        } else if (c.tokenInfo.permit) {
          current = "permit";
          mark("permit", "active");
          const token = c.tokenInfo.address;
          const [domain, nonce] = await Promise.all([
            readContract(config, {
              chainId,
              address: token,
              abi: mockERC20PermitAbi,
              functionName: "eip712Domain",
            }),
            readContract(config, {
              chainId,
              address: token,
              abi: mockERC20PermitAbi,
              functionName: "nonces",
              args: [owner],
            }),
          ]);
          const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
          const signature = await signTypedData(config, {
            account: owner,
            domain: {
              name: domain[1],
              version: domain[2],
              chainId: Number(domain[3]),
              verifyingContract: domain[4],
            },
            types: PERMIT_TYPES,
            primaryType: "Permit",
            message: { owner, spender: vault, value: c.amount, nonce, deadline },
          });
          const { r, s, v, yParity } = parseSignature(signature);
          mark("permit", "done");
          current = "create";
          mark("create", "active");
          const sim = await simulateContract(config, {
            chainId,
            account: owner,
            address: vault,
            abi: commitmentVaultAbi,
            functionName: "createCommitmentWithPermit",
            args: [params, deadline, Number(v ?? BigInt(27 + yParity)), r, s],
          });
          hash = await writeContract(config, sim.request);
        } else {
          current = "approve";
          mark("approve", "active");
          const token = c.tokenInfo.address;
          const allowance = await readContract(config, {
            chainId,
            address: token,
            abi: mockERC20PermitAbi,
            functionName: "allowance",
            args: [owner, vault],
          });
          if (allowance >= c.amount) {
            mark("approve", "skipped", "Already approved");
          } else {
            const approve = await simulateContract(config, {
              chainId,
              account: owner,
              address: token,
              abi: mockERC20PermitAbi,
              functionName: "approve",
              args: [vault, c.amount],
            });
            const approveHash = await writeContract(config, approve.request);
            mark("approve", "active", "Waiting for the approval to be confirmed…");
            await waitForTransactionReceipt(config, { chainId, hash: approveHash });
            mark("approve", "done");
          }
          current = "create";
          mark("create", "active");
          const sim = await simulateContract(config, {
            chainId,
            account: owner,
            address: vault,
            abi: commitmentVaultAbi,
            functionName: "createCommitment",
            args: [params],
          });
          hash = await writeContract(config, sim.request);
        }
        mark("create", "done", hash);
        current = "confirm";
        mark("confirm", "active", "Pending…");
        const receipt = await waitForTransactionReceipt(config, { chainId, hash });
        if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
        const created = parseEventLogs({
          abi: commitmentVaultAbi,
          eventName: "CommitmentCreated",
          logs: receipt.logs,
        })[0];
        if (created === undefined)
          throw new Error("The transaction was confirmed but created no commitment.");
        mark("confirm", "done", `Confirmed in block ${receipt.blockNumber}`);
        setState({ phase: "confirmed", steps, commitmentId: created.args.id, txHash: hash });
      } catch (error) {
        steps = steps.map((s) => (s.id === current || s.status === "active" ? { ...s, status: "todo" } : s));
        setState({ phase: "failed", steps, error });
      }
    },
    [config, deployment],
  );

  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { state, run, reset };
}
