import {
  type Address,
  decodeFunctionData,
  encodeFunctionResult,
  getAddress,
  type Hex,
  keccak256,
  toHex,
  zeroAddress,
} from "viem";
import { describe, expect, it } from "vitest";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { listOwnedCommitmentIds } from "./commitmentIndex.ts";

const ME = getAddress("0x00000000000000000000000000000000000000aa");
const OTHER = getAddress("0x00000000000000000000000000000000000000bb");
const VAULT = getAddress("0x00000000000000000000000000000000000000cc");

/** A fake vault: ids 1..owners.length with those owners; counts the eth_calls. */
function fakeVault(owners: Address[]) {
  const calls: bigint[][] = [];
  const client = {
    readContract: async () => BigInt(owners.length),
    call: async ({ data }: { data?: Hex }) => {
      if (data === undefined) throw new Error("no data");
      const outer = decodeFunctionData({ abi: commitmentVaultAbi, data });
      if (outer.functionName !== "multicall") throw new Error(outer.functionName);
      const ids: bigint[] = [];
      const results = (outer.args[0] as readonly Hex[]).map((inner) => {
        const call = decodeFunctionData({ abi: commitmentVaultAbi, data: inner });
        if (call.functionName !== "getCommitment") throw new Error(call.functionName);
        const id = call.args[0] as bigint;
        ids.push(id);
        const owner = owners[Number(id) - 1];
        if (owner === undefined) throw new Error(`CommitmentNotFound(${id})`);
        return encodeFunctionResult({
          abi: commitmentVaultAbi,
          functionName: "getCommitment",
          result: {
            owner,
            token: zeroAddress,
            amount: 1n,
            start: 1n,
            period: 1,
            milestones: 1,
            grace: 0,
            beneficiary: OTHER,
            rulesHash: keccak256(toHex("r")),
            closed: false,
          },
        } as never);
      });
      calls.push(ids);
      return {
        data: encodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", result: results }),
      };
    },
  };
  return { client, calls };
}

describe("listOwnedCommitmentIds", () => {
  it("finds the owner's commitments by id, newest first, however old they are", async () => {
    const owners = Array.from({ length: 30 }, (_, i) => (i === 0 || i === 17 ? ME : OTHER));
    const { client, calls } = fakeVault(owners);
    const out = await listOwnedCommitmentIds(client as never, VAULT, ME, { batch: 8 });
    expect(out.ids).toEqual([18n, 1n]);
    expect(out.truncated).toBe(false);
    expect(out.scanned).toBe(30);
    // 30 ids in batches of 8: 4 eth_calls, the first one the newest ids.
    expect(calls.length).toBe(4);
    expect(calls[0]?.[0]).toBe(30n);
  });

  it("stops at maxScanned ids and says older ones were not read", async () => {
    const owners = Array.from({ length: 50 }, (_, i) => (i < 5 ? ME : OTHER));
    const { client, calls } = fakeVault(owners);
    const out = await listOwnedCommitmentIds(client as never, VAULT, ME, { batch: 10, maxScanned: 20 });
    expect(out.ids).toEqual([]);
    expect(out.truncated).toBe(true);
    expect(out.scanned).toBe(20);
    expect(calls.flat().every((id) => id > 30n)).toBe(true);
  });

  it("stops once maxFound commitments are found", async () => {
    const owners = Array.from({ length: 40 }, () => ME);
    const { client, calls } = fakeVault(owners);
    const out = await listOwnedCommitmentIds(client as never, VAULT, ME, { batch: 10, maxFound: 3 });
    expect(out.ids).toEqual([40n, 39n, 38n]);
    expect(out.truncated).toBe(true);
    expect(calls.length).toBe(1);
  });

  it("an empty vault costs one read and lists nothing", async () => {
    const { client, calls } = fakeVault([]);
    const out = await listOwnedCommitmentIds(client as never, VAULT, ME);
    expect(out).toEqual({ ids: [], truncated: false, scanned: 0 });
    expect(calls.length).toBe(0);
  });
});
