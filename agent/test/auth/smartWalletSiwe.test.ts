/**
 * Sign-in with smart-contract wallets on the in-process chain: a deployed EIP-1271 wallet, and a counterfactual one
 * (ERC-6492: its factory call is simulated, nothing is deployed). The wallets are `contracts/mocks/ERC1271WalletMock.sol`
 * (owner-EOA validated) and its CREATE2 factory.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import request from "supertest";
import {
  type Abi,
  type Address,
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  toHex,
} from "viem";
import { createSiweMessage, parseSiweMessage } from "viem/siwe";
import { serializeErc6492Signature } from "viem/utils";
import { recordRequests } from "../chain/chainTestSupport.ts";
import { buildTestApp, type TestApp } from "../http/testApp.ts";
import { createHardhatChain, type HardhatChain, type TestAccount } from "../support/hardhatChain.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "../../../artifacts/contracts/mocks");

function artifact(name: string): { abi: Abi; bytecode: Hex } {
  return JSON.parse(readFileSync(path.join(ARTIFACTS, `${name}.sol`, `${name}.json`), "utf8")) as {
    abi: Abi;
    bytecode: Hex;
  };
}

describe("Sign-In with Ethereum from smart-contract wallets (EIP-1271, ERC-6492)", function () {
  this.timeout(120_000);
  let chain: HardhatChain;
  let owner: TestAccount;
  let stranger: TestAccount;
  let factory: Address;
  const factoryArtifact = artifact("ERC1271WalletFactoryMock");
  const walletArtifact = artifact("ERC1271WalletMock");

  async function deployed(hash: Hex): Promise<Address> {
    const receipt = await chain.client.waitForTransactionReceipt({ hash, pollingInterval: 1 });
    if (receipt.contractAddress == null) throw new Error("no contract deployed");
    return getAddress(receipt.contractAddress);
  }

  before(async () => {
    chain = await createHardhatChain();
    owner = chain.accounts.alice;
    stranger = chain.accounts.stranger;
    factory = await deployed(
      await chain.wallet(chain.accounts.admin).deployContract({
        abi: factoryArtifact.abi,
        bytecode: factoryArtifact.bytecode,
      }),
    );
  });

  after(async () => chain?.close());

  function app(client = chain.client): TestApp {
    return buildTestApp({ chainClient: client });
  }

  /** A SIWE message for `address` with a fresh nonce of `t`, issued now on `t`'s clock. */
  async function messageFor(t: TestApp, address: Address): Promise<string> {
    const { nonce, domain, uri, chainId } = (await request(t.app).post("/api/auth/nonce")).body;
    return createSiweMessage({
      address,
      chainId,
      domain,
      nonce,
      uri,
      version: "1",
      issuedAt: new Date(t.clock.now()),
    });
  }

  async function signIn(t: TestApp, message: string, signature: Hex) {
    return request(t.app).post("/api/auth/verify").send({ message, signature });
  }

  async function sessionAddress(t: TestApp, setCookie: string[] | string | undefined) {
    const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(";")[0] ?? "";
    return (await request(t.app).get("/api/auth/session").set("Cookie", cookie)).body?.address as string;
  }

  describe("a deployed EIP-1271 wallet", () => {
    let wallet: Address;

    before(async () => {
      wallet = await deployed(
        await chain.wallet(owner).deployContract({
          abi: walletArtifact.abi,
          bytecode: walletArtifact.bytecode,
          args: [owner.address],
        }),
      );
    });

    it("signs in with its owner's signature; the session is the wallet's address", async () => {
      const t = app();
      const message = await messageFor(t, wallet);
      const res = await signIn(t, message, await owner.signMessage({ message }));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.equal({ address: wallet });
      expect(await sessionAddress(t, res.headers["set-cookie"])).to.equal(wallet);
    });

    it("refuses a signature the wallet does not accept (another key), and the nonce is spent", async () => {
      const t = app();
      const message = await messageFor(t, wallet);
      const res = await signIn(t, message, await stranger.signMessage({ message }));
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ code: "siwe_bad_signature", field: "signature" });
      const again = await signIn(t, message, await owner.signMessage({ message }));
      expect(again.body.code).to.equal("siwe_nonce_invalid");
    });

    it("is refused by an agent without a chain client (EOA signatures only)", async () => {
      const t = buildTestApp();
      const message = await messageFor(t, wallet);
      const res = await signIn(t, message, await owner.signMessage({ message }));
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("siwe_bad_signature");
    });
  });

  describe("a counterfactual wallet (ERC-6492)", () => {
    const salt = keccak256(toHex("alice's smart wallet"));
    let wallet: Address;

    before(async () => {
      wallet = (await chain.client.readContract({
        address: factory,
        abi: factoryArtifact.abi,
        functionName: "walletAddress",
        args: [owner.address, salt],
      })) as Address;
      expect(await chain.client.getCode({ address: wallet })).to.equal(undefined);
    });

    function wrapped(signature: Hex, walletOwner: Address = owner.address): Hex {
      return serializeErc6492Signature({
        address: factory,
        data: encodeFunctionData({
          abi: factoryArtifact.abi,
          functionName: "deploy",
          args: [walletOwner, salt],
        }),
        signature,
      });
    }

    it("signs in before the wallet exists, and nothing is deployed by the check", async () => {
      const t = app();
      const message = await messageFor(t, wallet);
      const signature = wrapped(await owner.signMessage({ message }));
      expect((signature.length - 2) / 2).to.be.greaterThan(65);
      const before = await chain.blockNumber();
      const res = await signIn(t, message, signature);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.equal({ address: wallet });
      expect(await sessionAddress(t, res.headers["set-cookie"])).to.equal(wallet);
      expect(await chain.client.getCode({ address: wallet })).to.equal(undefined);
      expect(await chain.blockNumber()).to.equal(before);
    });

    it("refuses a wrapped signature by a key that does not own the wallet", async () => {
      const t = app();
      const message = await messageFor(t, wallet);
      const res = await signIn(t, message, wrapped(await stranger.signMessage({ message })));
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("siwe_bad_signature");
    });

    it("refuses a wrapper whose factory call deploys someone else's wallet at another address", async () => {
      const t = app();
      const message = await messageFor(t, wallet);
      const res = await signIn(
        t,
        message,
        wrapped(await stranger.signMessage({ message }), stranger.address),
      );
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("siwe_bad_signature");
    });
  });

  describe("EOAs with a chain client", () => {
    it("sign in without any RPC call (the signature is recovered first)", async () => {
      const calls: { method: string; params: unknown }[] = [];
      const client = createPublicClient({
        chain: chain.chain,
        transport: chain.transport(recordRequests(calls)),
      });
      const t = app(client);
      const message = await messageFor(t, owner.address);
      const res = await signIn(t, message, await owner.signMessage({ message }));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ address: owner.address });
      expect(calls).to.deep.equal([]);
    });

    it("a signature by another key is still refused", async () => {
      const t = app();
      const message = await messageFor(t, owner.address);
      const res = await signIn(t, message, await stranger.signMessage({ message }));
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("siwe_bad_signature");
    });
  });

  it("a session of a smart wallet never outlives the message's Expiration Time either", async () => {
    const t = app();
    const wallet = await deployed(
      await chain.wallet(owner).deployContract({
        abi: walletArtifact.abi,
        bytecode: walletArtifact.bytecode,
        args: [owner.address],
      }),
    );
    const { nonce, domain, uri, chainId } = (await request(t.app).post("/api/auth/nonce")).body;
    const message = createSiweMessage({
      address: wallet,
      chainId,
      domain,
      nonce,
      uri,
      version: "1",
      issuedAt: new Date(t.clock.now()),
      expirationTime: new Date(t.clock.now() + 60_000),
    });
    expect(parseSiweMessage(message).expirationTime).to.be.instanceOf(Date);
    const res = await signIn(t, message, await owner.signMessage({ message }));
    expect(res.status).to.equal(200);
    const cookie = String(res.headers["set-cookie"]?.[0]);
    expect(cookie).to.include("Max-Age=60;");
    t.clock.advance(59_999);
    expect(await sessionAddress(t, cookie)).to.equal(wallet);
    t.clock.advance(1);
    expect(await sessionAddress(t, cookie)).to.equal(undefined);
  });

  it("answers 503 rpc_unavailable, not a bad signature, when the chain cannot be asked", async () => {
    const down = (_request: EIP1193RequestFn): EIP1193RequestFn =>
      (async () => {
        throw new Error("connection refused");
      }) as EIP1193RequestFn;
    const t = app(
      createPublicClient({
        chain: chain.chain,
        transport: custom({ request: down(chain.provider.request) }, { retryCount: 0 }),
      }),
    );
    const message = await messageFor(t, owner.address);
    const res = await signIn(t, message, await stranger.signMessage({ message }));
    expect(res.status, JSON.stringify(res.body)).to.equal(503);
    expect(res.body.code).to.equal("rpc_unavailable");
  });
});
