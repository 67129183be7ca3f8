import { type Address, type Hex, keccak256, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import type { Attestation } from "../api/schemas.ts";
import type { OracleAgent } from "./oracleAgents.ts";
import { gatherQuorum, type QuorumDependencies } from "./quorum.ts";
import { type AttestationContext, isGenuineAttestation } from "./verifyAttestation.ts";

const mnemonic = "test test test test test test test test test test test junk";
const [o1, o2, o3] = [1, 2, 3].map((i) => mnemonicToAccount(mnemonic, { addressIndex: i }));
const context: AttestationContext = {
  chainId: 31337,
  vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  rulesHash: keccak256(toHex("rules")),
};
const evidenceHash = keccak256(toHex("evidence"));
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function signed(
  account: NonNullable<typeof o1>,
  overrides: Partial<{ commitmentId: bigint; milestoneIndex: bigint }> = {},
): Promise<Attestation> {
  const message = {
    commitmentId: overrides.commitmentId ?? 1n,
    milestoneIndex: overrides.milestoneIndex ?? 0n,
    rulesHash: context.rulesHash,
    evidenceHash,
    validUntil: 2_000_000_000n,
  };
  const signature = await account.signTypedData({
    domain: {
      name: "ResolutionAutopilot",
      version: "1",
      chainId: context.chainId,
      verifyingContract: context.vault,
    },
    types: {
      MilestoneAttestation: [
        { name: "commitmentId", type: "uint256" },
        { name: "milestoneIndex", type: "uint256" },
        { name: "rulesHash", type: "bytes32" },
        { name: "evidenceHash", type: "bytes32" },
        { name: "validUntil", type: "uint64" },
      ],
    },
    primaryType: "MilestoneAttestation",
    message,
  });
  return { ...message, signer: account.address, signature };
}

/** The same signature with s' = n - s and v flipped: recovers to the same signer, but the vault rejects it. */
function highS(signature: Hex): Hex {
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  return `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
}

const agent = (label: string): OracleAgent => ({ url: `http://${label}`, label });

function deps(answers: Record<string, () => Promise<Attestation>>): QuorumDependencies {
  return {
    attest: (a) => (answers[a.label] ?? (() => Promise.reject(new Error("down"))))(),
    evidence: async () => ({ required: 1, workouts: [] }),
  };
}

describe("isGenuineAttestation", () => {
  it("accepts the oracle's own signature and rejects a wrong signer, rulesHash, high s or garbage", async () => {
    const good = await signed(o1 as NonNullable<typeof o1>);
    expect(await isGenuineAttestation(context, good)).toBe(true);
    expect(await isGenuineAttestation(context, { ...good, signer: o2?.address as Address })).toBe(false);
    expect(await isGenuineAttestation({ ...context, rulesHash: evidenceHash }, good)).toBe(false);
    expect(await isGenuineAttestation(context, { ...good, signature: highS(good.signature) })).toBe(false);
    expect(await isGenuineAttestation(context, { ...good, signature: "0xdeadbeef" })).toBe(false);
    expect(await isGenuineAttestation(context, { ...good, signature: `0x${"00".repeat(65)}` })).toBe(false);
  });
});

describe("gatherQuorum with a verifier", () => {
  const oracles = [o1, o2, o3].map((a) => a?.address as Address);
  const verify = (a: Attestation) => isGenuineAttestation(context, a);

  it("a malicious agent naming an honest oracle as signer does not displace that oracle's real signature", async () => {
    const real2 = await signed(o2 as NonNullable<typeof o2>);
    const real3 = await signed(o3 as NonNullable<typeof o3>);
    const forged = { ...(await signed(o1 as NonNullable<typeof o1>)), signer: real2.signer };
    const q = await gatherQuorum({
      agents: [agent("evil"), agent("two"), agent("three")],
      commitmentId: 1n,
      milestoneIndex: 0,
      threshold: 2,
      oracles,
      verify,
      deps: deps({
        evil: async () => forged,
        two: async () => real2,
        three: async () => real3,
      }),
    });
    const expected = [real2, real3].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    expect(q.signatures).toEqual(expected.map((a) => a.signature));
  });

  it("does not count a high-s copy, or a signature for another milestone, towards the threshold", async () => {
    const real2 = await signed(o2 as NonNullable<typeof o2>);
    const other = await signed(o3 as NonNullable<typeof o3>, { milestoneIndex: 1n });
    const error = await gatherQuorum({
      agents: [agent("copy"), agent("two"), agent("other")],
      commitmentId: 1n,
      milestoneIndex: 0,
      threshold: 2,
      oracles,
      verify,
      deps: deps({
        copy: async () => ({ ...real2, signature: highS(real2.signature) }),
        two: async () => real2,
        other: async () => other,
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/oracle/);
  });

  it("ignores an attestation for another commitment even without a verifier", async () => {
    const wrong = await signed(o2 as NonNullable<typeof o2>, { commitmentId: 9n });
    const error = await gatherQuorum({
      agents: [agent("wrong")],
      commitmentId: 1n,
      milestoneIndex: 0,
      threshold: 1,
      oracles,
      deps: deps({ wrong: async () => wrong }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
  });
});

describe("summarizeVerdicts against the on-chain oracle set", () => {
  const met = { kind: "met", done: 3, required: 3 } as const;
  const set = [o1, o2].map((a) => a?.address as Address);
  it("does not count an agent whose oracle is not a current oracle, nor one oracle behind two agents twice", async () => {
    const { summarizeVerdicts } = await import("./quorum.ts");
    const s = summarizeVerdicts([met, met, met], 2, {
      signers: [o1?.address, o1?.address.toLowerCase() as Address, o3?.address],
      oracles: set,
    });
    expect(s).toEqual({ met: 1, of: 3, threshold: 2, enough: false });
    const ok = summarizeVerdicts([met, met, { kind: "unreachable" }], 2, {
      signers: [o1?.address, o2?.address, o3?.address],
      oracles: set,
    });
    expect(ok.enough).toBe(true);
  });
  it("without the set (not read yet) counts every agent that says met, as before", async () => {
    const { summarizeVerdicts } = await import("./quorum.ts");
    expect(summarizeVerdicts([met, met], 2).enough).toBe(true);
  });
});
