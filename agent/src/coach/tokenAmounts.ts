/**
 * How the coach names money: a token's symbol and decimals (native ETH is `address(0)`; ERC-20s come from
 * configuration), and amounts formatted for people ("25 USDC"), at most 4 decimals, no trailing zeros.
 */
import { formatUnits, zeroAddress } from "viem";

export interface TokenInfo {
  symbol: string;
  decimals: number;
}

export type TokenInfoLookup = (token: string) => TokenInfo;

/** ETH for `address(0)`, the configured tokens by (case-insensitive) address, else `units` with 0 decimals. */
export function createTokenInfoLookup(tokens: Readonly<Record<string, TokenInfo>> = {}): TokenInfoLookup {
  const byAddress = new Map(Object.entries(tokens).map(([address, info]) => [address.toLowerCase(), info]));
  return (token) => {
    if (token.toLowerCase() === zeroAddress) return { symbol: "ETH", decimals: 18 };
    return byAddress.get(token.toLowerCase()) ?? { symbol: "units", decimals: 0 };
  };
}

export function formatAmount(amount: bigint, info: TokenInfo): string {
  const [whole, fraction = ""] = formatUnits(amount, info.decimals).split(".");
  const cut = fraction.slice(0, 4).replace(/0+$/, "");
  return `${cut === "" ? whole : `${whole}.${cut}`} ${info.symbol}`;
}
