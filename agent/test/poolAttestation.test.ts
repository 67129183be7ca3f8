/**
 * Attestations for a challenge-pool participant (issue 14). A participant's commitment is created by the pool
 * (`createCommitmentFor`: owner = the participant, beneficiary = the pool); for the agent it is the participant's
 * commitment like any other. An agent assembled as `main.ts` does, with CHALLENGE_POOL_ADDRESS set and the keeper
 * on, on an in-process Hardhat chain over HTTP JSON-RPC with time travel; the vault's threshold is 1 (this agent).
 *
 * Alice signs in, uploads three qualifying runs, gets a valid attestation for her milestone, claims it from the
 * vault and gets her stake back; Bob does nothing and is slashed to the pool; the agent's settler then settles
 * both in the pool, and Alice claims Bob's stake minus the fee.
 */
import { expect } from "chai";
import request from "supertest";
import { type Address, parseEther, zeroAddress } from "viem";
import { challengePoolAbi, commitmentVaultAbi } from "../../deployments/abi.ts";
import { type AssembleAgentReturnType, assembleAgent } from "../src/assembleAgent.ts";
import { ManualClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { canonicalizeRules } from "../src/rules/rulesDocument.ts";
import { signIn } from "./http/signIn.ts";
import {
  agentEnv,
  DAY,
  gpxRun,
  HOUR,
  MINUTE,
  THREE_RUNS as RULES,
  timeTravel,
} from "./support/agentsOnChain.ts";
import { createHardhatChain, type HardhatChain } from "./support/hardhatChain.ts";
import { type RpcOverHttp, serveRpcOverHttp } from "./support/rpcOverHttp.ts";

const STAKE = parseEther("1");
const FEE_BPS = 500;
const RELEASED = 1;
const SLASHED = 2;
/** `statusOf` in the pool: None, Active, Out, Finished. */
const OUT = 2;
const FINISHED = 3;

interface Attestation {
  commitmentId: string;
  milestoneIndex: number;
  evidenceHash: `0x${string}`;
  validUntil: number;
  signer: Address;
  signature: `0x${string}`;
}

describe("a challenge-pool participant gets attestations and claims like a solo owner; the settler settles them", function () {
  this.timeout(180_000);
  const clock = new ManualClock(0);
  let chain: HardhatChain;
  let rpc: RpcOverHttp;
  let agent: AssembleAgentReturnType;
  let pool: Address;
  let challengeId: bigint;
  let aliceCommitment: bigint;
  let bobCommitment: bigint;
  let start: number;
  let cookie: string;
  let travelTo: (unixSeconds: number) => Promise<void>;

  const mined = async (hash: `0x${string}`) => {
    const receipt = await chain.client.waitForTransactionReceipt({ hash, pollingInterval: 1 });
    expect(receipt.status).to.equal("success");
    return receipt;
  };
  const milestoneState = async (commitmentId: bigint) =>
    Number(
      await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [commitmentId, 0n],
      }),
    );
  const statusOf = async (participant: Address) =>
    Number(
      await chain.client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "statusOf",
        args: [challengeId, participant],
      }),
    );
  async function follow() {
    await agent.tasks.indexer?.runOnce();
    await agent.tasks.challengeIndexer?.runOnce();
  }

  before(async () => {
    chain = await createHardhatChain();
    rpc = await serveRpcOverHttp(chain.provider);
    const oracle = chain.accounts.oracles[0];
    if (oracle === undefined) throw new Error("no oracle");
    await mined(
      await chain.wallet(chain.accounts.admin).writeContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "setOracles",
        args: [[oracle.address], 1],
      }),
    );
    const deployed = await chain.deployChallengePool();
    pool = deployed.pool;
    clock.set((await chain.latestTimestamp()) * 1000);
    const config = loadConfig({
      ...agentEnv(chain, rpc),
      ORACLE_PRIVATE_KEY: oracle.privateKey,
      OPERATOR_PRIVATE_KEY: chain.accounts.operator.privateKey,
      KEEPER_ENABLED: "true",
      RELAYER_ENABLED: "false",
      CHALLENGE_POOL_ADDRESS: pool,
      CHALLENGE_POOL_DEPLOYMENT_BLOCK: String(deployed.deploymentBlock),
    });
    agent = await assembleAgent({ config, clock, logger: createLogger({ level: "silent" }) });
    travelTo = timeTravel(chain, clock);
    cookie = await signIn({ app: agent.app, clock, account: chain.accounts.alice });
    const rules = await request(agent.app).post("/api/rules").set("Cookie", cookie).send({ rules: RULES });
    expect(rules.status).to.equal(200);
    expect(rules.body.rulesHash).to.equal(canonicalizeRules(RULES).rulesHash);

    start = (await chain.latestTimestamp()) + 120;
    await mined(
      await chain.wallet(chain.accounts.stranger).writeContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "createChallenge",
        args: [
          {
            token: zeroAddress,
            stake: STAKE,
            start: BigInt(start),
            period: DAY,
            milestones: 1,
            grace: HOUR,
            rulesHash: canonicalizeRules(RULES).rulesHash,
            joinDeadline: BigInt(start),
            maxParticipants: 10,
            feeBps: FEE_BPS,
            feeRecipient: chain.accounts.admin.address,
            fallbackBeneficiary: chain.accounts.beneficiary.address,
          },
        ],
      }),
    );
    challengeId = await chain.client.readContract({
      address: pool,
      abi: challengePoolAbi,
      functionName: "challengeCount",
    });
    for (const who of [chain.accounts.alice, chain.accounts.bob]) {
      await mined(
        await chain.wallet(who).writeContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "join",
          args: [challengeId],
          value: STAKE,
        }),
      );
    }
    const commitmentOf = (participant: Address) =>
      chain.client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "commitmentOf",
        args: [challengeId, participant],
      });
    aliceCommitment = await commitmentOf(chain.accounts.alice.address);
    bobCommitment = await commitmentOf(chain.accounts.bob.address);
    await follow();
  });

  after(async () => {
    await agent?.close();
    await rpc?.close();
    await chain?.close();
  });

  it("shows the pool-made commitment to its participant (owner = Alice, beneficiary = the pool)", async () => {
    const res = await request(agent.app).get(`/api/commitments/${aliceCommitment}`).set("Cookie", cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.owner.toLowerCase()).to.equal(chain.accounts.alice.address.toLowerCase());
    expect(res.body.beneficiary.toLowerCase()).to.equal(pool.toLowerCase());
    // Bob's commitment is not Alice's to see.
    const bobs = await request(agent.app).get(`/api/commitments/${bobCommitment}`).set("Cookie", cookie);
    expect(bobs.status).to.be.oneOf([403, 404]);
  });

  it("refuses the attestation while the runs are missing, naming what is missing", async () => {
    await travelTo(start + HOUR);
    const res = await request(agent.app)
      .post(`/api/commitments/${aliceCommitment}/milestones/0/attestation`)
      .set("Cookie", cookie);
    expect(res.status).to.equal(409);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect(res.body).to.include({ code: "requirement_not_met", done: 0, required: 3, missing: 3 });
  });

  it("counts Alice's uploads for the pool commitment, signs an attestation she claims with, and pays her stake back", async () => {
    await travelTo(start + 10 * HOUR);
    for (const minutes of [10, 100, 190]) {
      const res = await request(agent.app)
        .post("/api/workouts/upload")
        .set("Cookie", cookie)
        .attach("file", gpxRun((start + minutes * MINUTE) * 1000), `run-${minutes}.gpx`);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.workouts[0].verdict.countsFor).to.deep.equal([
        { commitmentId: aliceCommitment.toString(), milestoneIndex: 0 },
      ]);
    }
    const res = await request(agent.app)
      .post(`/api/commitments/${aliceCommitment}/milestones/0/attestation`)
      .set("Cookie", cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const attestation = res.body as Attestation;
    expect(attestation).to.include({ commitmentId: aliceCommitment.toString(), milestoneIndex: 0 });
    expect(attestation.signer.toLowerCase()).to.equal(chain.accounts.oracles[0]?.address.toLowerCase());

    const before = await chain.ethBalance(chain.accounts.alice.address);
    const receipt = await mined(
      await chain.wallet(chain.accounts.alice).writeContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "claimMilestone",
        args: [
          aliceCommitment,
          0n,
          attestation.evidenceHash,
          BigInt(attestation.validUntil),
          [attestation.signature],
        ],
      }),
    );
    const after = await chain.ethBalance(chain.accounts.alice.address);
    // Her whole stake (one milestone) came back to her, not to the pool.
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).to.equal(STAKE);
    expect(await milestoneState(aliceCommitment)).to.equal(RELEASED);
  });

  it("the settler settles Alice as a finisher at once; Bob stays active until the keeper slashes his week", async () => {
    await follow();
    const first = await agent.tasks.challengeSettler?.runOnce();
    expect(first).to.include({ due: 1, settled: 1 });
    expect(await statusOf(chain.accounts.alice.address)).to.equal(FINISHED);
    expect(await statusOf(chain.accounts.bob.address)).to.equal(1);

    // Past Bob's claim deadline: the keeper slashes his share to the pool, the settler settles him out.
    await travelTo(start + DAY + HOUR + MINUTE);
    await follow();
    expect((await agent.tasks.keeper?.runOnce())?.slashed).to.equal(1);
    expect(await milestoneState(bobCommitment)).to.equal(SLASHED);
    await follow();
    expect(await agent.tasks.challengeSettler?.runOnce()).to.include({ due: 1, settled: 1 });
    expect(await statusOf(chain.accounts.bob.address)).to.equal(OUT);
  });

  it("Alice claims the pot minus the fee; the challenge API shows her finished and the pot", async () => {
    const winnings = await chain.client.readContract({
      address: pool,
      abi: challengePoolAbi,
      functionName: "winningsOf",
      args: [challengeId, chain.accounts.alice.address],
    });
    expect(winnings).to.equal((STAKE * BigInt(10_000 - FEE_BPS)) / 10_000n);
    const before = await chain.ethBalance(chain.accounts.alice.address);
    const receipt = await mined(
      await chain.wallet(chain.accounts.alice).writeContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "claimWinnings",
        args: [challengeId],
      }),
    );
    const after = await chain.ethBalance(chain.accounts.alice.address);
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).to.equal(winnings);

    await follow();
    const res = await request(agent.app).get(`/api/challenges/${challengeId}`).set("Cookie", cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({
      settledCount: 2,
      finisherCount: 1,
      pot: STAKE.toString(),
      phase: "closed",
    });
    expect(res.body.you).to.deep.include({
      commitmentId: aliceCommitment.toString(),
      standing: "finished",
      claimable: "0",
    });
  });
});
