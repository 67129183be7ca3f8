import { expect } from "chai";
import { encodeAbiParameters, hashStruct, keccak256, recoverTypedDataAddress, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { EIP2612_PERMIT_TYPES, eip2612PermitTypedData } from "../src/eip2612Permit.ts";

/** OpenZeppelin ERC20Permit's PERMIT_TYPEHASH: the struct the token checks, field for field. */
const PERMIT_TYPEHASH = keccak256(
  toBytes("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
);

const owner = privateKeyToAccount(`0x${"11".repeat(32)}`);
const permit = {
  token: {
    name: "USD Coin (local)",
    version: "1",
    chainId: 31337,
    address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  },
  owner: owner.address,
  spender: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  value: 300_000_000n,
  nonce: 2n,
  deadline: 2_000_000_000n,
} as const;

describe("EIP-2612 permit typed data", () => {
  it("hashes the message as the token's PERMIT_TYPEHASH struct", () => {
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: "bytes32" },
          { type: "address" },
          { type: "address" },
          { type: "uint256" },
          { type: "uint256" },
          { type: "uint256" },
        ],
        [PERMIT_TYPEHASH, permit.owner, permit.spender, permit.value, permit.nonce, permit.deadline],
      ),
    );
    const typed = eip2612PermitTypedData(permit);
    expect(hashStruct({ data: typed.message, primaryType: "Permit", types: EIP2612_PERMIT_TYPES })).to.equal(
      expected,
    );
  });

  it("puts the token in the domain and signs so that the owner is recovered", async () => {
    const typed = eip2612PermitTypedData(permit);
    expect(typed.domain).to.deep.equal({
      name: "USD Coin (local)",
      version: "1",
      chainId: 31337,
      verifyingContract: permit.token.address,
    });
    const signature = await owner.signTypedData(typed);
    expect(await recoverTypedDataAddress({ ...typed, signature })).to.equal(owner.address);
  });
});
