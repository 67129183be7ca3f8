/**
 * The challenge transactions, through the same flow as the dashboard's claim and appeal buttons: each call is
 * simulated first (a revert comes back as the pool's decoded custom error before the wallet is asked), then
 * written, then its receipt awaited.
 * - create: register the rules with the agent (its hash must equal the browser's), then `createChallenge`;
 * - join: ETH as the call's value; a permit token with one EIP-2612 signature (`joinWithPermit`); any other token
 *   `approve` (skipped when the allowance already covers the stake), then `join`;
 * - claim winnings (a finisher, once everyone is settled); withdraw pool credits (fee, dust, or the pot of a
 *   challenge nobody finished, for the fallback beneficiary).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useReducer } from "react";
import { type Address, type Hex, parseEventLogs, parseSignature } from "viem";
import { useConfig } from "wagmi";
import {
  readContract,
  signTypedData,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "wagmi/actions";
import { challengePoolAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { registerRules } from "../api/agentClient.ts";
import type { Deployment } from "../chain/deployments.ts";
import { rulesHashOf } from "../rules/rulesHash.ts";
import {
  challengeParams,
  checkJoinTarget,
  type JoinMethod,
  type JoinStepId,
  type JoinStepStatus,
  joinReducer,
  plannedJoinSteps,
  type ValidChallenge,
} from "./challengeLogic.ts";

type Config = ReturnType<typeof useConfig>;

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export function poolOf(deployment: Deployment): Address {
  if (deployment.challengePool === undefined) throw new Error("This deployment has no challenge pool.");
  return deployment.challengePool.address;
}

async function mined(config: Config, chainId: number, hash: Hex) {
  const receipt = await waitForTransactionReceipt(config, { chainId, hash });
  if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
  return receipt;
}

export function useCreateChallenge(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (c: ValidChallenge) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const local = rulesHashOf(c.rules);
      const remote = await registerRules(c.rules);
      if (remote.rulesHash !== local.rulesHash) {
        throw new Error(
          `The agent computed a different rules hash (${remote.rulesHash}) than this browser (${local.rulesHash}). Nothing was sent.`,
        );
      }
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: poolOf(deployment),
        abi: challengePoolAbi,
        functionName: "createChallenge",
        args: [challengeParams(c, local.rulesHash)],
      });
      const receipt = await mined(config, deployment.chainId, await writeContract(config, sim.request));
      const created = parseEventLogs({
        abi: challengePoolAbi,
        eventName: "ChallengeCreated",
        logs: receipt.logs,
      })[0];
      if (created === undefined) throw new Error("The transaction was confirmed but created no challenge.");
      return { challengeId: created.args.challengeId };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

export interface JoinTarget {
  challengeId: bigint;
  token: Address;
  stake: bigint;
  symbol: string;
  method: JoinMethod;
}

/** The join flow with its steps (see `joinReducer`). */
export function useJoinChallenge(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(joinReducer, { phase: "idle" });

  const run = useCallback(
    async (t: JoinTarget) => {
      const chainId = deployment.chainId;
      dispatch({ type: "start", steps: plannedJoinSteps(t.method, t.symbol) });
      const mark = (id: JoinStepId, status: JoinStepStatus, detail?: string) =>
        dispatch({ type: "mark", id, status, ...(detail !== undefined ? { detail } : {}) });
      try {
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
        let hash: Hex;
        if (t.method === "eth") {
          mark("join", "active");
          const sim = await simulateContract(config, {
            chainId,
            account,
            address: pool,
            abi: challengePoolAbi,
            functionName: "join",
            args: [t.challengeId],
            value: t.stake,
          });
          hash = await writeContract(config, sim.request);
        } else if (t.method === "permit") {
          mark("permit", "active");
          const [domain, nonce] = await Promise.all([
            readContract(config, {
              chainId,
              address: t.token,
              abi: mockERC20PermitAbi,
              functionName: "eip712Domain",
            }),
            readContract(config, {
              chainId,
              address: t.token,
              abi: mockERC20PermitAbi,
              functionName: "nonces",
              args: [account],
            }),
          ]);
          const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
          const signature = await signTypedData(config, {
            account,
            domain: {
              name: domain[1],
              version: domain[2],
              chainId: Number(domain[3]),
              verifyingContract: domain[4],
            },
            types: PERMIT_TYPES,
            primaryType: "Permit",
            message: { owner: account, spender: pool, value: t.stake, nonce, deadline },
          });
          const { r, s, v, yParity } = parseSignature(signature);
          mark("permit", "done");
          mark("join", "active");
          const sim = await simulateContract(config, {
            chainId,
            account,
            address: pool,
            abi: challengePoolAbi,
            functionName: "joinWithPermit",
            args: [t.challengeId, deadline, Number(v ?? BigInt(27 + yParity)), r, s],
          });
          hash = await writeContract(config, sim.request);
        } else {
          mark("approve", "active");
          const allowance = await readContract(config, {
            chainId,
            address: t.token,
            abi: mockERC20PermitAbi,
            functionName: "allowance",
            args: [account, pool],
          });
          if (allowance >= t.stake) {
            mark("approve", "skipped", "Already approved");
          } else {
            const approve = await simulateContract(config, {
              chainId,
              account,
              address: t.token,
              abi: mockERC20PermitAbi,
              functionName: "approve",
              args: [pool, t.stake],
            });
            const approveHash = await writeContract(config, approve.request);
            mark("approve", "active", "Waiting for the approval to be confirmed…");
            await mined(config, chainId, approveHash);
            mark("approve", "done");
          }
          mark("join", "active");
          const sim = await simulateContract(config, {
            chainId,
            account,
            address: pool,
            abi: challengePoolAbi,
            functionName: "join",
            args: [t.challengeId],
          });
          hash = await writeContract(config, sim.request);
        }
        mark("join", "done", hash);
        mark("confirm", "active", "Pending…");
        const receipt = await mined(config, chainId, hash);
        const joined = parseEventLogs({ abi: challengePoolAbi, eventName: "Joined", logs: receipt.logs })[0];
        if (joined === undefined) throw new Error("The transaction was confirmed but joined nothing.");
        mark("confirm", "done", `Confirmed in block ${receipt.blockNumber}`);
        dispatch({ type: "confirm", commitmentId: joined.args.commitmentId, txHash: hash });
      } catch (error) {
        dispatch({ type: "fail", error });
      } finally {
        await queryClient.invalidateQueries();
      }
    },
    [config, deployment, account, queryClient],
  );
  const reset = useCallback(() => dispatch({ type: "reset" }), []);
  return { state, run, reset };
}

/** `claimWinnings(challengeId)`: a finisher's share of the pot, once every participant is settled. */
export function useClaimWinnings(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ challengeId, amount }: { challengeId: bigint; amount: bigint }) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: poolOf(deployment),
        abi: challengePoolAbi,
        functionName: "claimWinnings",
        args: [challengeId],
      });
      const hash = await writeContract(config, sim.request);
      await mined(config, deployment.chainId, hash);
      return { hash, amount };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/** `withdraw(token)`: the caller's pool credits (fee and dust, or a pot nobody won for the fallback beneficiary). */
export function useWithdrawPoolCredits(deployment: Deployment, account: Address | undefined) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ token, amount }: { token: Address; amount: bigint }) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      const sim = await simulateContract(config, {
        chainId: deployment.chainId,
        account,
        address: poolOf(deployment),
        abi: challengePoolAbi,
        functionName: "withdraw",
        args: [token],
      });
      const hash = await writeContract(config, sim.request);
      await mined(config, deployment.chainId, hash);
      return { hash, amount };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}
