/** Token amounts: bigint base units ↔ what people read and type. */
import { formatUnits, parseUnits } from "viem";

export interface FormatAmountParameters {
  value: bigint;
  decimals: number;
  symbol: string;
  /** Most fraction digits shown (trailing zeros dropped); the exact value is rounded toward zero. */
  maxFractionDigits?: number;
}

/** "0.1 ETH", "1,250.5 USDC"; tiny non-zero amounts read "< 0.000001 ETH" instead of "0". */
export function formatAmount({
  value,
  decimals,
  symbol,
  maxFractionDigits = 6,
}: FormatAmountParameters): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const [whole = "0", fraction = ""] = formatUnits(abs, decimals).split(".");
  const shown = fraction.slice(0, maxFractionDigits).replace(/0+$/, "");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (abs > 0n && whole === "0" && shown === "") {
    return `< 0.${"0".repeat(Math.max(0, maxFractionDigits - 1))}1 ${symbol}`;
  }
  return `${negative ? "-" : ""}${grouped}${shown ? `.${shown}` : ""} ${symbol}`;
}

export type ParseAmountReturnType = { ok: true; value: bigint } | { ok: false; error: string };

/** Parses what someone typed ("0.1", "1,000.25") into base units, with a sentence when it cannot. */
export function parseAmount(text: string, decimals: number): ParseAmountReturnType {
  const cleaned = text.trim().replace(/[,_\s]/g, "");
  if (cleaned === "") return { ok: false, error: "Enter an amount." };
  if (!/^\d*\.?\d*$/.test(cleaned) || cleaned === ".") {
    return { ok: false, error: "Use digits and at most one decimal point, e.g. 0.1" };
  }
  const fraction = cleaned.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    return { ok: false, error: `At most ${decimals} digits after the decimal point.` };
  }
  const value = parseUnits(cleaned, decimals);
  if (value <= 0n) return { ok: false, error: "The amount must be more than 0." };
  if (value >= 2n ** 128n) return { ok: false, error: "That amount is too large." };
  return { ok: true, value };
}
