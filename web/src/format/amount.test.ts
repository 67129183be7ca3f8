import { describe, expect, it } from "vitest";
import { formatAmount, milestoneShares, parseAmount } from "./amount.ts";

describe("formatAmount", () => {
  it("drops trailing zeros and groups thousands", () => {
    expect(formatAmount({ value: 100_000_000_000_000_000n, decimals: 18, symbol: "ETH" })).toBe("0.1 ETH");
    expect(formatAmount({ value: 1_250_500_000n, decimals: 6, symbol: "USDC" })).toBe("1,250.5 USDC");
    expect(formatAmount({ value: 0n, decimals: 6, symbol: "USDC" })).toBe("0 USDC");
  });
  it("rounds toward zero at the shown precision and marks dust", () => {
    expect(
      formatAmount({ value: 1_999_999_999_999_999_999n, decimals: 18, symbol: "ETH", maxFractionDigits: 4 }),
    ).toBe("1.9999 ETH");
    expect(formatAmount({ value: 1n, decimals: 18, symbol: "ETH" })).toBe("< 0.000001 ETH");
  });
});

describe("parseAmount", () => {
  it("parses decimals and thousands separators", () => {
    expect(parseAmount("0.1", 18)).toEqual({ ok: true, value: 100_000_000_000_000_000n });
    expect(parseAmount(" 1,000.25 ", 6)).toEqual({ ok: true, value: 1_000_250_000n });
  });
  it("explains what is wrong", () => {
    expect(parseAmount("", 18)).toEqual({ ok: false, error: "Enter an amount." });
    expect(parseAmount("1.2.3", 18).ok).toBe(false);
    expect(parseAmount("abc", 18).ok).toBe(false);
    expect(parseAmount("0", 18)).toEqual({ ok: false, error: "The amount must be more than 0." });
    expect(parseAmount("0.0000001", 6)).toEqual({
      ok: false,
      error: "At most 6 digits after the decimal point.",
    });
    expect(parseAmount("1".repeat(40), 0)).toEqual({ ok: false, error: "That amount is too large." });
  });
});

describe("milestoneShares", () => {
  it("splits like the vault: equal shares, the last takes the remainder", () => {
    expect(milestoneShares(100n, 3)).toEqual([33n, 33n, 34n]);
    expect(milestoneShares(10n ** 17n, 8)).toEqual(Array(8).fill(12_500_000_000_000_000n));
    expect(milestoneShares(5n, 1)).toEqual([5n]);
  });
  it("always sums to the amount", () => {
    for (const [amount, n] of [
      [1n, 7],
      [999_999_999_999n, 104],
      [7n, 3],
    ] as const) {
      const shares = milestoneShares(amount, n);
      expect(shares).toHaveLength(n);
      expect(shares.reduce((a, b) => a + b, 0n)).toBe(amount);
    }
  });
  it("gives nothing for an invalid count", () => {
    expect(milestoneShares(100n, 0)).toEqual([]);
    expect(milestoneShares(100n, 1.5)).toEqual([]);
  });
});
