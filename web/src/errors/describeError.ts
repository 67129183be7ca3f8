/**
 * Turns any error the app meets into words for people: no wallet, request rejected, insufficient funds,
 * wrong network, agent unreachable, a vault revert (the custom error decoded with the ABI and its arguments
 * put into a sentence), or an agent problem document.
 */
import {
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  formatUnits,
  InsufficientFundsError,
  type Hex,
  UserRejectedRequestError,
} from "viem";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { AgentUnreachableError, BadResponseError, ProblemError } from "../api/agentClient.ts";

export type ErrorKind =
  | "no_wallet"
  | "rejected"
  | "insufficient_funds"
  | "wrong_network"
  | "agent_unreachable"
  | "reverted"
  | "problem"
  | "signed_out"
  | "unknown";

export interface DescribedError {
  kind: ErrorKind;
  title: string;
  message: string;
  /** The agent's problem `field`, when it named one (so the form can point at it). */
  field?: string;
  /** The decoded custom error name, for reverts. */
  errorName?: string;
}

const ERROR_ABI = [...commitmentVaultAbi, ...mockERC20PermitAbi].filter((x) => x.type === "error");

const STATE_NAMES = ["open", "released", "slashed", "refunded", "appealed"];

function when(seconds: unknown): string {
  const n = typeof seconds === "bigint" ? Number(seconds) : Number(seconds);
  if (!Number.isFinite(n)) return String(seconds);
  return `${new Date(n * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function nth(index: unknown): string {
  return `milestone ${Number(index) + 1}`;
}

function duration(seconds: unknown): string {
  const n = Number(seconds);
  if (n % 86_400 === 0) return `${n / 86_400} days`;
  if (n % 3600 === 0) return `${n / 3600} hours`;
  return `${n} seconds`;
}

/** One sentence per custom error of the vault and the token, built from its arguments. */
export function revertSentence(errorName: string, args: readonly unknown[]): string {
  const a = (i: number) => args[i];
  switch (errorName) {
    case "AttestationExpired":
      return `The oracle's attestation expired at ${when(a(0))}. Fetch a new one and try again.`;
    case "ClaimDeadlineNotReached":
      return `${nth(a(1))} can be claimed until ${when(a(2))}; it cannot be settled as missed before then.`;
    case "ClaimDeadlinePassed":
      return `The claim deadline for ${nth(a(1))} passed at ${when(a(2))}.`;
    case "CommitmentAlreadyStarted":
      return `Commitment #${a(0)} already started at ${when(a(1))}, so it can no longer be cancelled.`;
    case "CommitmentClosed":
      return `Commitment #${a(0)} is closed.`;
    case "CommitmentNotFound":
      return `There is no commitment #${a(0)} in this vault.`;
    case "EnforcedPause":
    case "VaultPaused":
      return "The vault is paused right now. Nothing can be created, claimed, slashed or appealed until it resumes.";
    case "WindowNotEnded":
      return `${nth(a(1))}'s window ends at ${when(a(2))}; it can be appealed only after that.`;
    case "MilestoneNotAppealed":
      return `${nth(a(1))} is not under appeal (it is ${STATE_NAMES[Number(a(2))] ?? "settled"}).`;
    case "AppealPeriodNotOver":
      return `The appeal of ${nth(a(1))} can expire from ${when(a(2))} (pauses move it later).`;
    case "ExitNotAvailable":
      return `Exit opens once the vault has been paused ${duration(a(1))} of the last 31 days; so far ${duration(a(0))}.`;
    case "IncorrectValue":
      return `The transaction sent ${formatUnits(BigInt(String(a(0))), 18)} ETH but the stake is ${formatUnits(BigInt(String(a(1))), 18)} ETH.`;
    case "InsufficientSignatures":
      return `The claim carries ${a(0)} oracle signature(s); the vault needs ${a(1)}.`;
    case "InvalidBeneficiary":
      return "The beneficiary must be a real address (not zero, not your own and not the vault).";
    case "InvalidGrace":
      return `A grace period of ${duration(a(0))} is too long; at most 7 days.`;
    case "InvalidMilestoneCount":
      return `${a(0)} milestones is not allowed; choose 1 to 104.`;
    case "InvalidPeriod":
      return `A window of ${duration(a(0))} is not allowed; choose 1 hour to 366 days.`;
    case "InvalidRulesHash":
      return "The rules hash is empty. Fill in the rules again.";
    case "InvalidStart":
      return `The start ${when(a(0))} must lie between ${when(a(1))} and ${when(a(2))}. Pick a later start.`;
    case "InvalidToken":
    case "TokenNotAllowed":
      return `The token ${a(0)} is not accepted by this vault.`;
    case "MilestoneNotOpen":
      return `${nth(a(1))} is already ${STATE_NAMES[Number(a(2))] ?? "settled"}.`;
    case "MilestoneOutOfRange":
      return `${nth(a(1))} does not exist; this commitment has ${a(2)}.`;
    case "NotCommitmentOwner":
      return `Only the owner of commitment #${a(0)} can do that.`;
    case "NothingToWithdraw":
      return "There is nothing to withdraw.";
    case "SignerNotOracle":
      return `Signature ${Number(a(0)) + 1} is not from a current oracle (${a(1)}).`;
    case "SignersNotAscending":
      return "The oracle signatures are not in ascending signer order.";
    case "TransferAmountMismatch":
      return "The token delivered less than the stake (fee-on-transfer tokens are not supported).";
    case "WindowNotOpen":
      return `${nth(a(1))}'s window opens at ${when(a(2))}.`;
    case "ZeroAmount":
      return "The stake must be more than 0.";
    case "ERC20InsufficientBalance":
      return "Your token balance is lower than the stake.";
    case "ERC20InsufficientAllowance":
      return "The vault is not allowed to take that many tokens yet. Approve first.";
    case "ERC2612ExpiredSignature":
      return "The permit signature expired. Sign again.";
    case "ERC2612InvalidSigner":
      return "The permit was signed by another account.";
    case "BalanceDecreased":
      return "The token moved less into the vault than it took (this token is not supported).";
    case "InvalidOwner":
      return "The commitment's owner must be a real address (not zero and not the vault).";
    case "InvalidSignature":
    case "ECDSAInvalidSignature":
    case "ECDSAInvalidSignatureLength":
    case "ECDSAInvalidSignatureS":
      return "An oracle signature is malformed.";
    default:
      return `The transaction was reverted (${errorName}).`;
  }
}

function decodeRaw(data: Hex | undefined): { errorName: string; args: readonly unknown[] } | undefined {
  if (data === undefined || data.length < 10) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

function hasCode(error: unknown, code: number): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== null && typeof current === "object"; depth++) {
    if ("code" in current && (current as { code: unknown }).code === code) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function nameIs(error: unknown, ...names: string[]): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    if (names.includes(current.name)) return true;
    current = current.cause;
  }
  return false;
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof AgentUnreachableError) {
    return {
      kind: "agent_unreachable",
      title: "The agent is unreachable",
      message:
        "The Resolution Autopilot agent did not answer. Check your connection and try again in a moment; what you typed is kept.",
    };
  }
  if (error instanceof ProblemError) {
    if (error.status === 401) {
      return {
        kind: "signed_out",
        title: "Signed out",
        message: "Your session has ended. Sign in again to continue.",
      };
    }
    const described: DescribedError = {
      kind: "problem",
      title: error.problem.title ?? "The agent refused the request",
      message: error.message,
    };
    if (error.field !== undefined) described.field = error.field;
    return described;
  }
  if (error instanceof BadResponseError) {
    return { kind: "unknown", title: "Unexpected answer", message: error.message };
  }
  if (nameIs(error, "ProviderNotFoundError", "ConnectorNotFoundError")) {
    return {
      kind: "no_wallet",
      title: "No wallet found",
      message:
        "Install a browser wallet such as MetaMask, Rabby or Coinbase Wallet (or use WalletConnect), then reload this page.",
    };
  }
  if (error instanceof BaseError) {
    const rejected = error.walk((e) => e instanceof UserRejectedRequestError);
    if (rejected || hasCode(error, 4001)) {
      return {
        kind: "rejected",
        title: "Request rejected",
        message: "You rejected the request in your wallet. Nothing was sent; you can try again.",
      };
    }
    if (error.walk((e) => e instanceof InsufficientFundsError)) {
      return {
        kind: "insufficient_funds",
        title: "Insufficient funds",
        message: "Your wallet does not hold enough for this amount plus the network fee.",
      };
    }
    if (
      error.walk((e) => e instanceof ChainMismatchError) ||
      nameIs(error, "ConnectorChainMismatchError", "ChainNotConfiguredError")
    ) {
      return {
        kind: "wrong_network",
        title: "Wrong network",
        message: "Your wallet is on another network. Switch to the network this app uses and try again.",
      };
    }
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const decoded =
        reverted.data !== undefined
          ? { errorName: reverted.data.errorName, args: reverted.data.args ?? [] }
          : decodeRaw(reverted.raw);
      if (decoded !== undefined) {
        return {
          kind: "reverted",
          title: "Transaction refused",
          message: revertSentence(decoded.errorName, decoded.args),
          errorName: decoded.errorName,
        };
      }
      return {
        kind: "reverted",
        title: "Transaction refused",
        message: reverted.reason ?? "The contract refused the transaction.",
      };
    }
    return { kind: "unknown", title: "Something went wrong", message: error.shortMessage };
  }
  if (hasCode(error, 4001)) {
    return {
      kind: "rejected",
      title: "Request rejected",
      message: "You rejected the request in your wallet. Nothing was sent; you can try again.",
    };
  }
  return {
    kind: "unknown",
    title: "Something went wrong",
    message: error instanceof Error ? error.message : String(error),
  };
}
