import { expect } from "chai";
import { createPublicClient, type EIP1193RequestFn } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { createChainClient, verifyChain } from "../../src/chain/chainClient.ts";
import { createVaultReader, type ViemVaultReader } from "../../src/chain/vaultReader.ts";
import { DependencyError, NotFoundError, ValidationError } from "../../src/errors.ts";
import { milestoneStates } from "../../src/store/schema.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";

describe("chain: vault reader", () => {
  let chain: HardhatChain;
  let reader: ViemVaultReader;

  before(async () => {
    chain = await createHardhatChain();
    reader = createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault });
  });

  after(async () => {
    await chain?.close();
  });

  /** What the contract itself answers, call by call. */
  async function contractView(id: bigint, blockNumber?: bigint) {
    const at = blockNumber === undefined ? {} : { blockNumber };
    const c = await chain.client.readContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [id],
      ...at,
    });
    const states = [];
    for (let i = 0; i < c.milestones; i++) {
      const state = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [id, BigInt(i)],
        ...at,
      });
      states.push(milestoneStates[state]);
    }
    const appeals = [];
    for (let i = 0; i < c.milestones; i++) {
      const [appealedAt, bond] = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "appealOf",
        args: [id, BigInt(i)],
        ...at,
      });
      if (appealedAt > 0n) appeals.push({ index: i, appealedAt: Number(appealedAt), bond: bond.toString() });
    }
    return {
      chainId: chain.chainId,
      vault: chain.vault,
      commitmentId: id,
      owner: c.owner,
      token: c.token,
      amount: c.amount,
      start: Number(c.start),
      period: c.period,
      milestones: c.milestones,
      grace: c.grace,
      beneficiary: c.beneficiary,
      rulesHash: c.rulesHash,
      closed: c.closed,
      milestoneStates: states,
      appeals,
    };
  }

  it("reads a commitment and its milestone states exactly as the contract reports them", async () => {
    const ethId = await chain.createEthCommitment({ milestones: 3 });
    const usdcId = await chain.createUsdcCommitment({ owner: chain.accounts.bob, milestones: 5, grace: 0 });
    await chain.increaseTime(61);
    const before = BigInt(await chain.blockNumber());
    await chain.claim({
      commitmentId: ethId,
      milestoneIndex: 0,
      validUntil: (await chain.latestTimestamp()) + 600,
      from: chain.accounts.alice,
    });

    const eth = await reader.readCommitment(ethId);
    expect(eth).to.deep.equal(await contractView(ethId));
    expect(eth?.milestoneStates).to.deep.equal(["Released", "Open", "Open"]);
    expect(eth?.token).to.equal("0x0000000000000000000000000000000000000000");

    const usdc = await reader.readCommitment(usdcId);
    expect(usdc).to.deep.equal(await contractView(usdcId));
    expect(usdc?.token).to.equal(chain.usdc);
    expect(usdc?.owner).to.equal(chain.accounts.bob.address);
    expect(usdc?.milestoneStates).to.have.length(5);

    // As of a past block: before the claim.
    const past = await reader.readCommitment(ethId, { blockNumber: before });
    expect(past).to.deep.equal(await contractView(ethId, before));
    expect(past?.milestoneStates).to.deep.equal(["Open", "Open", "Open"]);
  });

  it("reads an Appealed milestone and its appeal (appealOf) as the contract reports them, and exitAvailable", async () => {
    const id = await chain.createEthCommitment({
      amount: 3n * 10n ** 18n,
      milestones: 3,
      period: 3_600,
      grace: 600,
    });
    const usdcId = await chain.createUsdcCommitment({ amount: 300_000_000n, milestones: 2, grace: 600 });
    // Window 0 of both has ended; their claim deadlines have not passed.
    await chain.increaseTime(60 + 3_600 + 60);
    const bond = await chain.appeal(id, 0, chain.accounts.alice);
    const usdcBond = await chain.appeal(usdcId, 0, chain.accounts.alice);
    const appealedAt = await chain.latestTimestamp();
    expect(bond).to.equal(10n ** 17n); // a tenth of the 1 ETH share
    expect(usdcBond).to.equal(15_000_000n); // a tenth of 150 USDC

    const eth = await reader.readCommitment(id);
    expect(eth).to.deep.equal(await contractView(id));
    expect(eth?.milestoneStates).to.deep.equal(["Appealed", "Open", "Open"]);
    expect(eth?.appeals).to.have.length(1);
    expect(eth?.appeals[0]).to.include({ index: 0, bond: bond.toString() });
    // Three blocks (mint, approve, appeal) before the USDC appeal.
    expect(eth?.appeals[0]?.appealedAt).to.be.within(appealedAt - 5, appealedAt - 1);
    const usdc = await reader.readCommitment(usdcId);
    expect(usdc).to.deep.equal(await contractView(usdcId));
    expect(usdc?.appeals).to.deep.equal([{ index: 0, appealedAt, bond: "15000000" }]);
    const [status] = await reader.readMilestones([{ commitmentId: id, milestoneIndex: 0 }]);
    expect(status?.state).to.equal("Appealed");
    expect(await reader.exitAvailable()).to.equal(false);
  });

  it("reads one eth_call per commitment once the milestone count is known", async () => {
    const id = await chain.createEthCommitment({ milestones: 4 });
    const calls: string[] = [];
    const counting = createPublicClient({
      chain: chain.chain,
      transport: chain.transport(
        (request) =>
          (async (args) => {
            calls.push(args.method);
            return request(args);
          }) as EIP1193RequestFn,
      ),
    });
    const fresh = createVaultReader({ client: counting, chainId: chain.chainId, vault: chain.vault });
    expect(await fresh.readCommitment(id)).to.deep.equal(await contractView(id));
    calls.length = 0;
    expect(await fresh.readCommitment(id)).to.deep.equal(await contractView(id));
    expect(calls).to.deep.equal(["eth_call"]);
    calls.length = 0;
    const other = createVaultReader({ client: counting, chainId: chain.chainId, vault: chain.vault });
    expect(await other.readCommitment(id, { milestones: 4 })).to.deep.equal(await contractView(id));
    expect(calls).to.deep.equal(["eth_call"]);
  });

  it("recovers from a wrong milestone count hint (too many or too few)", async () => {
    const id = await chain.createEthCommitment({ milestones: 3 });
    const expected = await contractView(id);
    const fresh = () =>
      createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault });
    expect(await fresh().readCommitment(id, { milestones: 7 })).to.deep.equal(expected);
    expect(await fresh().readCommitment(id, { milestones: 1 })).to.deep.equal(expected);
  });

  it("answers null for an unknown id", async () => {
    expect(await reader.readCommitment(0n)).to.equal(null);
    expect(await reader.readCommitment(9_999n)).to.equal(null);
    expect(await reader.readCommitment(9_999n, { milestones: 3 })).to.equal(null);
  });

  it("reads claim deadlines, milestone statuses, the oracle set, pause state and the latest timestamp", async () => {
    const id = await chain.createEthCommitment({ milestones: 2, period: 7_200, grace: 300 });
    const c = await contractView(id);
    expect(await reader.claimDeadline(id, 1)).to.equal(c.start + 2 * 7_200 + 300);

    const statuses = await reader.readMilestones([
      { commitmentId: id, milestoneIndex: 0 },
      { commitmentId: id, milestoneIndex: 5 },
      { commitmentId: 9_999n, milestoneIndex: 0 },
      { commitmentId: id, milestoneIndex: 1 },
    ]);
    expect(statuses).to.deep.equal([
      { state: "Open", claimDeadline: c.start + 7_200 + 300 },
      null,
      null,
      { state: "Open", claimDeadline: c.start + 2 * 7_200 + 300 },
    ]);

    expect(await reader.oracleSet()).to.deep.equal({
      oracles: chain.accounts.oracles.map((o) => o.address),
      threshold: chain.threshold,
    });
    expect(await reader.isPaused()).to.equal(false);
    const block = await chain.client.getBlock({ blockTag: "latest" });
    expect(await reader.latestTimestamp()).to.equal(Number(block.timestamp));
  });

  it("turns an unknown id or milestone into typed errors for claimDeadline", async () => {
    const id = await chain.createEthCommitment({ milestones: 2 });
    const notFound = await reader.claimDeadline(9_999n, 0).catch((e: unknown) => e);
    expect(notFound).to.be.instanceOf(NotFoundError);
    expect((notFound as NotFoundError).code).to.equal("commitment_not_found");
    const outOfRange = await reader.claimDeadline(id, 2).catch((e: unknown) => e);
    expect(outOfRange).to.be.instanceOf(ValidationError);
    expect((outOfRange as ValidationError).code).to.equal("milestone_out_of_range");
    expect((outOfRange as ValidationError).details.field).to.equal("milestoneIndex");
  });

  it("rejects an answer that does not decode (DependencyError), never returning it", async () => {
    const garbage = createPublicClient({
      chain: chain.chain,
      transport: chain.transport(
        (request) =>
          (async (args) => {
            if (args.method === "eth_call") return "0x1234";
            return request(args);
          }) as EIP1193RequestFn,
      ),
    });
    const bad = createVaultReader({ client: garbage, chainId: chain.chainId, vault: chain.vault });
    const error = await bad.readCommitment(1n, { milestones: 3 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DependencyError);
    expect((error as DependencyError).code).to.equal("chain_invalid_response");
  });

  describe("verifyChain", () => {
    it("passes for the right chain id and a deployed vault", async () => {
      await verifyChain({ client: chain.client, chainId: chain.chainId, vault: chain.vault });
    });

    it("fails with rpc_wrong_chain when the RPC serves another chain", async () => {
      const error = await verifyChain({ client: chain.client, chainId: 11_155_111 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).code).to.equal("rpc_wrong_chain");
      expect((error as DependencyError).details).to.deep.equal({
        chainId: 31_337,
        expectedChainId: 11_155_111,
      });
    });

    it("fails with vault_not_deployed when nothing lives at the vault address", async () => {
      const error = await verifyChain({
        client: chain.client,
        chainId: chain.chainId,
        vault: chain.accounts.stranger.address,
      }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).code).to.equal("vault_not_deployed");
    });

    it("fails with rpc_unavailable when the RPC does not answer", async () => {
      const client = createChainClient({ rpcUrl: "http://127.0.0.1:1", chainId: 31_337, retryCount: 0 });
      const error = await verifyChain({ client, chainId: 31_337 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).code).to.equal("rpc_unavailable");
    });
  });
});
