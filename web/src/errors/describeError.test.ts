import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  InsufficientFundsError,
  UserRejectedRequestError,
} from "viem";
import { describe, expect, it } from "vitest";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { AgentUnreachableError, ProblemError } from "../api/agentClient.ts";
import { describeError, revertSentence } from "./describeError.ts";

function reverted(
  data: `0x${string}`,
  abi: typeof commitmentVaultAbi | typeof mockERC20PermitAbi = commitmentVaultAbi,
) {
  const cause = new ContractFunctionRevertedError({ abi, data, functionName: "claimMilestone" });
  return new ContractFunctionExecutionError(cause, {
    abi: commitmentVaultAbi,
    functionName: "slash",
    args: [1n, 2n],
    contractAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  });
}

describe("describeError", () => {
  it("decodes a vault custom error into a sentence with its arguments", () => {
    const data = encodeErrorResult({
      abi: commitmentVaultAbi,
      errorName: "ClaimDeadlinePassed",
      args: [1n, 2n, 1_795_417_200n],
    });
    const d = describeError(reverted(data));
    expect(d.kind).toBe("reverted");
    expect(d.errorName).toBe("ClaimDeadlinePassed");
    expect(d.message).toBe("The claim deadline for milestone 3 passed at 2026-11-23 07:00 UTC.");
  });

  it("puts the v2 appeal and exit errors into sentences", () => {
    const sentence = (errorName: string, args: readonly unknown[]) => revertSentence(errorName, args);
    expect(sentence("MilestoneNotOpen", [1n, 0n, 4])).toBe("milestone 1 is already appealed.");
    expect(sentence("WindowNotEnded", [1n, 1n, 1_795_417_200n])).toBe(
      "milestone 2's window ends at 2026-11-23 07:00 UTC; it can be appealed only after that.",
    );
    expect(sentence("AppealPeriodNotOver", [1n, 0n, 1_795_417_200n])).toBe(
      "The appeal of milestone 1 can expire from 2026-11-23 07:00 UTC (pauses move it later).",
    );
    expect(sentence("ExitNotAvailable", [86_400n, 2_592_000n])).toBe(
      "Exit opens once the vault has been paused 30 days of the last 31 days; so far 1 days.",
    );
    const data = encodeErrorResult({
      abi: commitmentVaultAbi,
      errorName: "VaultPaused",
      args: [1_795_417_200n],
    });
    expect(describeError(reverted(data)).message).toMatch(/paused/);
  });

  it("decodes a token error bubbling through the vault (not in the vault ABI)", () => {
    const data = encodeErrorResult({
      abi: mockERC20PermitAbi,
      errorName: "ERC20InsufficientAllowance",
      args: ["0x0000000000000000000000000000000000000001", 0n, 5n],
    });
    const d = describeError(reverted(data));
    expect(d.errorName).toBe("ERC20InsufficientAllowance");
    expect(d.message).toMatch(/Approve first/);
  });

  it("recognises a rejected request, also by EIP-1193 code 4001 alone", () => {
    expect(describeError(new UserRejectedRequestError(new Error("no"))).kind).toBe("rejected");
    expect(describeError(Object.assign(new Error("User denied"), { code: 4001 })).kind).toBe("rejected");
  });

  it("recognises insufficient funds", () => {
    const d = describeError(new InsufficientFundsError());
    expect(d.kind).toBe("insufficient_funds");
    expect(d.message).toMatch(/enough/);
  });

  it("says when the agent is unreachable and passes problem details through", () => {
    expect(describeError(new AgentUnreachableError(new TypeError("Failed to fetch"))).kind).toBe(
      "agent_unreachable",
    );
    const p = describeError(
      new ProblemError(422, {
        code: "invalid_rules",
        detail: "rules.timezone: bad",
        field: "rules.timezone",
      }),
    );
    expect(p).toMatchObject({ kind: "problem", message: "rules.timezone: bad", field: "rules.timezone" });
    expect(describeError(new ProblemError(401, { code: "unauthorized" })).kind).toBe("signed_out");
  });

  it("recognises a missing wallet", () => {
    const e = new Error("Provider not found.");
    e.name = "ProviderNotFoundError";
    expect(describeError(e).kind).toBe("no_wallet");
  });

  it("has a sentence for every custom error of the vault", () => {
    const names = commitmentVaultAbi.filter((x) => x.type === "error").map((x) => x.name);
    const generic = names.filter((n) =>
      revertSentence(n, [1n, 2n, 3n]).startsWith("The transaction was reverted ("),
    );
    // Errors only an admin can meet (roles, oracle sets) may stay generic; everything a user meets has words.
    for (const n of generic)
      expect(n).toMatch(
        /^(AccessControl|AddressEmptyCode|DefaultAdminRulesEnforced|DuplicateOracle|ExitNotAvailable|ExpectedPause|FailedCall|InvalidOracleCount|InvalidThreshold|InvalidShortString|StringTooLong|ReentrancyGuard|ReentrantCall|RenounceForOtherAccount|SafeCast|SafeERC20|PayoutFailed|TooManyTokens|VaultNotPaused|ZeroOracle)/,
      );
  });
});
