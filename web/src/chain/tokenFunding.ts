/**
 * Letting a contract (vault or challenge pool) take an ERC-20 stake from the owner: either one EIP-2612 permit
 * signature (no transaction), or an `approve` transaction, skipped when the allowance already covers the amount.
 */
import { EIP2612_PERMIT_TYPES } from "@resolution-autopilot/vocabulary";
import { type Address, type Hex, parseSignature } from "viem";
import type { Config } from "wagmi";
import { readContract, signTypedData } from "wagmi/actions";
import { mockERC20PermitAbi } from "../../../deployments/abi.ts";
import type { StepStatus } from "./stepFlow.ts";
import { mined, simulateAndWrite } from "./transactor.ts";

export interface TokenFundingParameters {
  chainId: number;
  token: Address;
  owner: Address;
  spender: Address;
  amount: bigint;
}

/** The permit's deadline and signature, split the way `…WithPermit(…, deadline, v, r, s)` takes them. */
export interface PermitReturnType {
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/** Signs an EIP-2612 permit valid for one hour, with the token's own EIP-712 domain and the owner's nonce. */
export async function signPermit(
  config: Config,
  { chainId, token, owner, spender, amount }: TokenFundingParameters,
): Promise<PermitReturnType> {
  const [domain, nonce] = await Promise.all([
    readContract(config, { chainId, address: token, abi: mockERC20PermitAbi, functionName: "eip712Domain" }),
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
    domain: { name: domain[1], version: domain[2], chainId: Number(domain[3]), verifyingContract: domain[4] },
    types: EIP2612_PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner, spender, value: amount, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline, v: Number(v ?? BigInt(27 + yParity)), r, s };
}

/** The owner's current allowance to the spender. */
export function readAllowance(
  config: Config,
  { chainId, token, owner, spender }: Omit<TokenFundingParameters, "amount">,
): Promise<bigint> {
  return readContract(config, {
    chainId,
    address: token,
    abi: mockERC20PermitAbi,
    functionName: "allowance",
    args: [owner, spender],
  });
}

/** Sends `approve(spender, amount)` and waits until it is mined; `onSent` runs once the wallet has sent it. */
export async function approve(
  config: Config,
  { chainId, token, owner, spender, amount }: TokenFundingParameters,
  onSent?: () => void,
): Promise<void> {
  const hash = await simulateAndWrite(config, {
    chainId,
    account: owner,
    address: token,
    abi: mockERC20PermitAbi,
    functionName: "approve",
    args: [spender, amount],
  });
  onSent?.();
  await mined(config, chainId, hash);
}

/** Approves only when the allowance is short of the amount; says which it did. */
export async function approveIfShort(
  config: Config,
  parameters: TokenFundingParameters,
  onSent?: () => void,
): Promise<"approved" | "already-approved"> {
  if ((await readAllowance(config, parameters)) >= parameters.amount) return "already-approved";
  await approve(config, parameters, onSent);
  return "approved";
}

type MarkFundingStep<Id extends "permit" | "approve"> = (id: Id, status: StepStatus, detail?: string) => void;

/** `signPermit` as the "permit" step of a flow (chain/stepFlow.ts). */
export async function permitStep(
  config: Config,
  parameters: TokenFundingParameters,
  mark: MarkFundingStep<"permit">,
): Promise<PermitReturnType> {
  mark("permit", "active");
  const permit = await signPermit(config, parameters);
  mark("permit", "done");
  return permit;
}

/** `approveIfShort` as the "approve" step of a flow: skipped with "Already approved", or done once mined. */
export async function approveStep(
  config: Config,
  parameters: TokenFundingParameters,
  mark: MarkFundingStep<"approve">,
): Promise<void> {
  mark("approve", "active");
  const approval = await approveIfShort(config, parameters, () =>
    mark("approve", "active", "Waiting for the approval to be confirmed…"),
  );
  if (approval === "already-approved") mark("approve", "skipped", "Already approved");
  else mark("approve", "done");
}
