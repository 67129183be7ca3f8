import { zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { planAppeal } from "./useMilestoneAppeals.ts";

const USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("planAppeal", () => {
  it("sends an ETH bond as the call's value, with no approval", () => {
    expect(planAppeal({ token: zeroAddress, bond: 10n ** 17n, allowance: 0n })).toEqual({
      approve: null,
      value: 10n ** 17n,
    });
  });
  it("approves an ERC-20 bond first unless the allowance already covers it, and sends no ETH", () => {
    expect(planAppeal({ token: USDC, bond: 15_000_000n, allowance: 0n })).toEqual({
      approve: 15_000_000n,
      value: 0n,
    });
    expect(planAppeal({ token: USDC, bond: 15_000_000n, allowance: 14_999_999n })).toEqual({
      approve: 15_000_000n,
      value: 0n,
    });
    expect(planAppeal({ token: USDC, bond: 15_000_000n, allowance: 15_000_000n })).toEqual({
      approve: null,
      value: 0n,
    });
  });
});
