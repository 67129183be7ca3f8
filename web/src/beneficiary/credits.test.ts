import { decodeFunctionData, encodeFunctionResult, getAddress, type Hex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { creditTokens, readCredits } from "./credits.ts";

const ME = getAddress("0x00000000000000000000000000000000000000aa");
const USDC = getAddress("0x00000000000000000000000000000000000000dd");
const deployment = {
  vault: { address: getAddress("0x00000000000000000000000000000000000000cc"), deploymentBlock: 0 },
  tokens: [{ address: USDC, symbol: "USDC", decimals: 6, permit: true, mock: true }],
};

describe("readCredits", () => {
  it("reads ETH and every deployment token for the account in one call, in order", async () => {
    const asked: [string, string][] = [];
    const balances: Record<string, bigint> = { [zeroAddress]: 5n * 10n ** 16n, [USDC]: 0n };
    let calls = 0;
    const client = {
      call: async ({ to, data }: { to?: string; data?: Hex }) => {
        calls += 1;
        expect(to).toBe(deployment.vault.address);
        const outer = decodeFunctionData({ abi: commitmentVaultAbi, data: data ?? "0x" });
        const results = ((outer.args ?? [])[0] as readonly Hex[]).map((inner) => {
          const c = decodeFunctionData({ abi: commitmentVaultAbi, data: inner });
          const [account, token] = c.args as [string, string];
          asked.push([account, token]);
          return encodeFunctionResult({
            abi: commitmentVaultAbi,
            functionName: "credits",
            result: balances[token] ?? 0n,
          });
        });
        return {
          data: encodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", result: results }),
        };
      },
    };
    const credits = await readCredits(client as never, deployment, ME);
    expect(calls).toBe(1);
    expect(asked).toEqual([
      [ME, zeroAddress],
      [ME, USDC],
    ]);
    expect(credits).toEqual([
      { token: zeroAddress, symbol: "ETH", decimals: 18, amount: 5n * 10n ** 16n },
      { token: USDC, symbol: "USDC", decimals: 6, amount: 0n },
    ]);
  });

  it("lists ETH first, then the tokens", () => {
    expect(creditTokens(deployment).map((t) => t.symbol)).toEqual(["ETH", "USDC"]);
  });
});

describe("withdrawnAmount", () => {
  it("reads what the vault really paid from its Withdrawn event for this account and token", async () => {
    const { encodeEventTopics, encodeAbiParameters } = await import("viem");
    const { commitmentVaultAbi } = await import("../../../deployments/abi.ts");
    const { withdrawnAmount } = await import("./credits.ts");
    const vault = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const me = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const other = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const token = "0x0000000000000000000000000000000000000000";
    const log = (account: string, amount: bigint, address = vault) => ({
      address,
      topics: encodeEventTopics({
        abi: commitmentVaultAbi,
        eventName: "Withdrawn",
        args: { account: account as `0x${string}`, token },
      }) as [`0x${string}`, ...`0x${string}`[]],
      data: encodeAbiParameters([{ type: "uint256" }], [amount]),
    });
    const logs = [log(other, 5n), log(me, 7n, other), log(me, 1_234n)];
    expect(withdrawnAmount(logs, vault, me, token)).toBe(1_234n);
    expect(withdrawnAmount([log(other, 5n)], vault, me, token)).toBeUndefined();
  });
});
