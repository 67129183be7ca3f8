import { expect } from "chai";
import { encodePacked, type Hex, hashTypedData, hexToBigInt, keccak256, recoverTypedDataAddress } from "viem";
import { milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";
import { evidenceHash, signMilestoneAttestation } from "../../src/attestation/milestoneAttestation.ts";
import { privateKeySigner } from "../../src/attestation/signer.ts";
import { DependencyError, ValidationError } from "../../src/errors.ts";

// Hardhat's development account #1 (public, local only).
const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

const h = (byte: string) => `0x${byte.repeat(32)}` as Hex;

const PARAMS = {
  chainId: 31337,
  vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  commitmentId: 7n,
  milestoneIndex: 2n,
  rulesHash: h("ab"),
  evidenceHash: h("cd"),
  validUntil: 2_000_000_000n,
} as const;

describe("privateKeySigner", () => {
  it("derives the address of a private key", () => {
    expect(privateKeySigner(KEY).address).to.equal(ADDRESS);
  });

  it("rejects a malformed key with a clear, typed error naming the variable", () => {
    for (const bad of ["", "0x1234", KEY.slice(2), `${KEY}00`, `0x${"zz".repeat(32)}`]) {
      expect(() => privateKeySigner(bad))
        .to.throw(ValidationError)
        .with.property("details")
        .that.deep.equals({ field: "ORACLE_PRIVATE_KEY" });
    }
  });
});

describe("signMilestoneAttestation", () => {
  it("signs the PRODUCT.md type with the vault's domain; the signature recovers to the oracle, low s", async () => {
    const signed = await signMilestoneAttestation(privateKeySigner(KEY), PARAMS);
    expect(signed.signer).to.equal(ADDRESS);
    expect(signed.signature).to.match(/^0x[0-9a-f]{130}$/);
    expect(hexToBigInt(`0x${signed.signature.slice(66, 130)}`) <= HALF_N).to.equal(true);
    const typedData = milestoneAttestationTypedData(PARAMS);
    expect(signed.digest).to.equal(hashTypedData(typedData));
    expect(await recoverTypedDataAddress({ ...typedData, signature: signed.signature })).to.equal(ADDRESS);
  });

  it("is deterministic (RFC 6979): asking twice gives the same signature", async () => {
    const a = await signMilestoneAttestation(privateKeySigner(KEY), PARAMS);
    const b = await signMilestoneAttestation(privateKeySigner(KEY), PARAMS);
    expect(a.signature).to.equal(b.signature);
  });

  it("binds every field: changing any one changes the digest", async () => {
    const base = hashTypedData(milestoneAttestationTypedData(PARAMS));
    const variants = [
      { chainId: 1 },
      { vault: "0x0000000000000000000000000000000000000001" as const },
      { commitmentId: 8n },
      { milestoneIndex: 3n },
      { rulesHash: h("ac") },
      { evidenceHash: h("ce") },
      { validUntil: 2_000_000_001n },
    ];
    const digests = variants.map((v) => hashTypedData(milestoneAttestationTypedData({ ...PARAMS, ...v })));
    expect(new Set([base, ...digests]).size).to.equal(variants.length + 1);
  });

  it("refuses a signer whose signature does not recover to its own address", async () => {
    const honest = privateKeySigner(KEY);
    const liar = {
      address: "0x000000000000000000000000000000000000dEaD" as const,
      signTypedData: honest.signTypedData,
    };
    let caught: unknown;
    try {
      await signMilestoneAttestation(liar, PARAMS);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(DependencyError);
    expect((caught as DependencyError).code).to.equal("signer_wrong_key");
    expect((caught as DependencyError).details).to.deep.equal({ signer: liar.address, recovered: ADDRESS });
  });

  it("refuses a high-s signature, which the vault would reject", async () => {
    const honest = privateKeySigner(KEY);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = {
      address: honest.address,
      async signTypedData(typedData: Parameters<typeof honest.signTypedData>[0]) {
        const sig = await honest.signTypedData(typedData);
        const s = hexToBigInt(`0x${sig.slice(66, 130)}`);
        const v = sig.slice(130) === "1b" ? "1c" : "1b";
        return `${sig.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${v}` as Hex;
      },
    };
    let caught: unknown;
    try {
      await signMilestoneAttestation(highS, PARAMS);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(DependencyError);
    expect((caught as DependencyError).code).to.equal("signer_bad_signature");
  });
});

describe("evidenceHash", () => {
  it("hashes the sorted, de-duplicated content hashes packed as bytes32[]", () => {
    const [a, b, c] = [h("01"), h("02"), h("ff")];
    const expected = keccak256(encodePacked(["bytes32[]"], [[a, b, c]]));
    expect(evidenceHash([c, a, b])).to.equal(expected);
    expect(evidenceHash([b, c, a, b])).to.equal(expected);
    expect(evidenceHash([c.toUpperCase().replace("0X", "0x") as Hex, a, b])).to.equal(expected);
  });

  it("differs for different sets", () => {
    expect(evidenceHash([h("01")])).to.not.equal(evidenceHash([h("01"), h("02")]));
  });
});
