import { describe, expect, it } from "vitest";
import { formatAmount, parseAmount } from "./amount.ts";

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
