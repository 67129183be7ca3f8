/**
 * A beneficiary's credits in the vault: slashed shares (and payouts a recipient refused) wait there per token
 * until `withdraw(token)`. Read for ETH and every token of the deployment in one `eth_call` through the vault's
 * `multicall` (`credits(account, token)` each).
 */
import {
  type Address,
  decodeEventLog,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  zeroAddress,
} from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "../chain/deployments.ts";

export interface Credit {
  token: Address;
  symbol: string;
  decimals: number;
  amount: bigint;
}

/** ETH first, then the deployment's tokens, each with its symbol and decimals. */
export function creditTokens(deployment: Pick<Deployment, "tokens">): Omit<Credit, "amount">[] {
  return [
    { token: zeroAddress, symbol: "ETH", decimals: 18 },
    ...deployment.tokens.map((t) => ({ token: t.address, symbol: t.symbol, decimals: t.decimals })),
  ];
}

/** Every credit of `account`, zero ones included, in `creditTokens` order. */
export async function readCredits(
  client: Pick<PublicClient, "call">,
  deployment: Pick<Deployment, "tokens" | "vault">,
  account: Address,
): Promise<Credit[]> {
  const tokens = creditTokens(deployment);
  const { data } = await client.call({
    to: deployment.vault.address,
    data: encodeFunctionData({
      abi: commitmentVaultAbi,
      functionName: "multicall",
      args: [
        tokens.map((t) =>
          encodeFunctionData({ abi: commitmentVaultAbi, functionName: "credits", args: [account, t.token] }),
        ),
      ],
    }),
  });
  if (data === undefined) throw new Error("the vault answered nothing for the credits");
  const results = decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", data });
  if (results.length !== tokens.length) throw new Error("multicall answered too few results");
  return tokens.map((t, i) => ({
    ...t,
    amount: decodeFunctionResult({
      abi: commitmentVaultAbi,
      functionName: "credits",
      data: results[i] ?? "0x",
    }),
  }));
}

/**
 * What `withdraw(token)` really paid `account`: the vault's `Withdrawn` event in the receipt (the whole credit at
 * mining time, which may differ from the amount shown when the button was pressed); undefined when absent.
 */
export function withdrawnAmount(
  logs: readonly { address: string; topics: readonly Hex[]; data: Hex }[],
  vault: Address,
  account: Address,
  token: Address,
): bigint | undefined {
  for (const log of logs) {
    if (log.address.toLowerCase() !== vault.toLowerCase()) continue;
    try {
      const event = decodeEventLog({
        abi: commitmentVaultAbi,
        eventName: "Withdrawn",
        topics: [...log.topics] as [Hex, ...Hex[]],
        data: log.data,
      });
      if (
        event.args.account.toLowerCase() === account.toLowerCase() &&
        event.args.token.toLowerCase() === token.toLowerCase()
      )
        return event.args.amount;
    } catch {
      // Another event of the vault.
    }
  }
  return undefined;
}
