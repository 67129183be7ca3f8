/**
 * The challenge transactions, through the app's one transaction flow (chain/transactor.ts: each call is simulated
 * first, so a revert comes back as the pool's decoded custom error before the wallet is asked, then written, then
 * its receipt awaited).
 * - create: register the rules with the agent (its hash must equal the browser's), then `createChallenge`;
 * - join: ETH as the call's value; a permit token with one EIP-2612 signature (`joinWithPermit`); any other token
 *   `approve` (skipped when the allowance already covers the stake), then `join`;
 * - claim winnings (a finisher, once everyone is settled); withdraw pool credits (fee, dust, or the pot of a
 *   challenge nobody finished, for the fallback beneficiary).
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { type Address, type Hex, parseEventLogs } from "viem";
import { type Config, useConfig } from "wagmi";
import { readContract } from "wagmi/actions";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import { registerRulesChecked } from "../api/registerRulesChecked.ts";
import { poolContract, poolOf } from "../chain/contracts.ts";
import type { Deployment } from "../chain/deployments.ts";
import { type MarkStep, useStepFlow } from "../chain/stepFlow.ts";
import { approveStep, permitStep } from "../chain/tokenFunding.ts";
import {
  mined,
  simulateAndWrite,
  transact,
  useContractCall,
  useWalletMutation,
} from "../chain/transactor.ts";
import {
  challengeParams,
  checkJoinTarget,
  type JoinMethod,
  type JoinStepId,
  plannedJoinSteps,
  type ValidChallenge,
} from "./challengeLogic.ts";

export { poolOf };

export function useCreateChallenge(deployment: Deployment, account: Address | undefined) {
  return useWalletMutation(account, async ({ config, account }, c: ValidChallenge) => {
    const rulesHash = await registerRulesChecked(c.rules);
    const { receipt } = await transact(config, {
      ...poolContract(deployment),
      account,
      functionName: "createChallenge",
      args: [challengeParams(c, rulesHash)],
    });
    const created = parseEventLogs({
      abi: challengePoolAbi,
      eventName: "ChallengeCreated",
      logs: receipt.logs,
    })[0];
    if (created === undefined) throw new Error("The transaction was confirmed but created no challenge.");
    return { challengeId: created.args.challengeId };
  });
}

export interface JoinTarget {
  challengeId: bigint;
  token: Address;
  stake: bigint;
  symbol: string;
  method: JoinMethod;
}

/** Sends the join transaction the target's method needs (after a permit signature or an approval); its hash. */
async function sendJoin(
  config: Config,
  { chainId, account, pool }: { chainId: number; account: Address; pool: Address },
  t: JoinTarget,
  mark: MarkStep<JoinStepId>,
): Promise<Hex> {
  const join = { chainId, account, address: pool, abi: challengePoolAbi } as const;
  const funding = { chainId, token: t.token, owner: account, spender: pool, amount: t.stake };
  if (t.method === "eth") {
    mark("join", "active");
    return simulateAndWrite(config, { ...join, functionName: "join", args: [t.challengeId], value: t.stake });
  }
  if (t.method === "permit") {
    const { deadline, v, r, s } = await permitStep(config, funding, mark);
    mark("join", "active");
    return simulateAndWrite(config, {
      ...join,
      functionName: "joinWithPermit",
      args: [t.challengeId, deadline, v, r, s],
    });
  }
  await approveStep(config, funding, mark);
  mark("join", "active");
  return simulateAndWrite(config, { ...join, functionName: "join", args: [t.challengeId] });
}

/** The join flow with its steps (see `joinReducer`). */
export function useJoinChallenge(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  const { state, execute, reset } = useStepFlow<JoinStepId>();

  const run = useCallback(
    async (t: JoinTarget) => {
      const chainId = deployment.chainId;
      await execute(plannedJoinSteps(t.method, t.symbol), async (mark) => {
        if (account === undefined) throw new Error("Connect a wallet first.");
        const pool = poolOf(deployment);
        const [onChain] = await readContract(config, {
          chainId,
          address: pool,
          abi: challengePoolAbi,
          functionName: "challenge",
          args: [t.challengeId],
        });
        checkJoinTarget(onChain, t);
        const hash = await sendJoin(config, { chainId, account, pool }, t, mark);
        mark("join", "done", hash);
        mark("confirm", "active", "Pending…");
        const receipt = await mined(config, chainId, hash);
        const joined = parseEventLogs({ abi: challengePoolAbi, eventName: "Joined", logs: receipt.logs })[0];
        if (joined === undefined) throw new Error("The transaction was confirmed but joined nothing.");
        mark("confirm", "done", `Confirmed in block ${receipt.blockNumber}`);
        return { commitmentId: joined.args.commitmentId, txHash: hash };
      });
      await queryClient.invalidateQueries();
    },
    [config, deployment, account, queryClient, execute],
  );
  return { state, run, reset };
}

/** `claimWinnings(challengeId)`: a finisher's share of the pot, once every participant is settled. */
export function useClaimWinnings(deployment: Deployment, account: Address | undefined) {
  return useContractCall(
    account,
    ({ challengeId }: { challengeId: bigint; amount: bigint }, account) => ({
      ...poolContract(deployment),
      account,
      functionName: "claimWinnings",
      args: [challengeId],
    }),
    (hash, { amount }) => ({ hash, amount }),
  );
}

/** `withdraw(token)`: the caller's pool credits (fee and dust, or a pot nobody won for the fallback beneficiary). */
export function useWithdrawPoolCredits(deployment: Deployment, account: Address | undefined) {
  return useContractCall(
    account,
    ({ token }: { token: Address; amount: bigint }, account) => ({
      ...poolContract(deployment),
      account,
      functionName: "withdraw",
      args: [token],
    }),
    (hash, { amount }) => ({ hash, amount }),
  );
}
