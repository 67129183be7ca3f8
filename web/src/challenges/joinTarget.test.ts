import { zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { checkJoinTarget } from "./challengeLogic.ts";

const USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;

describe("checkJoinTarget", () => {
  it("passes when the agent's token and stake are the pool's", () => {
    expect(() => checkJoinTarget({ token: USDC, stake: 10n }, { token: USDC, stake: 10n })).not.toThrow();
    expect(() =>
      checkJoinTarget({ token: USDC, stake: 10n }, { token: USDC.toLowerCase() as typeof USDC, stake: 10n }),
    ).not.toThrow();
  });
  it("refuses to join when the stake or token shown differs from what the pool will take", () => {
    expect(() => checkJoinTarget({ token: USDC, stake: 100n }, { token: USDC, stake: 1n })).toThrow(/stake/);
    expect(() => checkJoinTarget({ token: zeroAddress, stake: 1n }, { token: USDC, stake: 1n })).toThrow(
      /token/,
    );
  });
});
