/**
 * The create-commitment transaction flow, step by step so the screen can show each one:
 * register the rules with the agent (its rulesHash must equal the browser's) → for a token: EIP-2612 permit
 * signature when the token supports it, else `approve` (skipped when the allowance already covers the stake)
 * → `createCommitment` / `createCommitmentWithPermit` → wait for the receipt → the new commitment id.
 * Every transaction goes through chain/transactor.ts: simulated first, so a revert is reported with its decoded
 * custom error before the wallet is even asked.
 */
import { useCallback } from "react";
import { type Address, type Hex, parseEventLogs } from "viem";
import { type Config, useConfig } from "wagmi";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { registerRulesChecked } from "../api/registerRulesChecked.ts";
import { vaultContract } from "../chain/contracts.ts";
import type { Deployment } from "../chain/deployments.ts";
import {
  type FlowState as StepFlowState,
  type FlowStep as StepFlowStep,
  type MarkStep,
  type StepStatus as StepFlowStatus,
  useStepFlow,
} from "../chain/stepFlow.ts";
import { approveStep, permitStep } from "../chain/tokenFunding.ts";
import { mined, simulateAndWrite } from "../chain/transactor.ts";
import type { ValidCommitment } from "./commitmentForm.ts";

export type StepId = "rules" | "permit" | "approve" | "create" | "confirm";
export type StepStatus = StepFlowStatus;
export type FlowStep = StepFlowStep<StepId>;
export type FlowState = StepFlowState<StepId>;

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

/** Sends the create transaction the stake needs (ETH value, a permit signature, or an approval first). */
async function sendCreate(
  config: Config,
  { deployment, owner }: { deployment: Deployment; owner: Address },
  c: ValidCommitment,
  rulesHash: Hex,
  mark: MarkStep<StepId>,
): Promise<Hex> {
  const create = { ...vaultContract(deployment), account: owner } as const;
  const params = {
    token: c.token,
    amount: c.amount,
    start: BigInt(c.start),
    period: c.period,
    milestones: c.milestones,
    grace: c.grace,
    beneficiary: c.beneficiary,
    rulesHash,
  } as const;
  if (c.tokenInfo === undefined) {
    mark("create", "active");
    return simulateAndWrite(config, {
      ...create,
      functionName: "createCommitment",
      args: [params],
      value: c.amount,
    });
  }
  const funding = {
    chainId: deployment.chainId,
    token: c.tokenInfo.address,
    owner,
    spender: create.address,
    amount: c.amount,
  };
  if (c.tokenInfo.permit) {
    const { deadline, v, r, s } = await permitStep(config, funding, mark);
    mark("create", "active");
    return simulateAndWrite(config, {
      ...create,
      functionName: "createCommitmentWithPermit",
      args: [params, deadline, v, r, s],
    });
  }
  await approveStep(config, funding, mark);
  mark("create", "active");
  return simulateAndWrite(config, { ...create, functionName: "createCommitment", args: [params] });
}

export function useCreateCommitment(deployment: Deployment) {
  const config = useConfig();
  const { state, execute, reset } = useStepFlow<StepId>();

  const run = useCallback(
    (c: ValidCommitment, owner: Address) =>
      execute(plannedSteps(c), async (mark) => {
        mark("rules", "active");
        const rulesHash = await registerRulesChecked(c.rules);
        mark("rules", "done", rulesHash);
        const hash = await sendCreate(config, { deployment, owner }, c, rulesHash, mark);
        mark("create", "done", hash);
        mark("confirm", "active", "Pending…");
        const receipt = await mined(config, deployment.chainId, hash);
        const created = parseEventLogs({
          abi: commitmentVaultAbi,
          eventName: "CommitmentCreated",
          logs: receipt.logs,
        })[0];
        if (created === undefined)
          throw new Error("The transaction was confirmed but created no commitment.");
        mark("confirm", "done", `Confirmed in block ${receipt.blockNumber}`);
        return { commitmentId: created.args.id, txHash: hash };
      }),
    [config, deployment, execute],
  );

  return { state, run, reset };
}
