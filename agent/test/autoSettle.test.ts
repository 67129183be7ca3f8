/**
 * Paid if you did it (issue 15): an owner meets the week and never clicks anything. With the relayer on, the agent
 * claims the milestone itself before its deadline (→ Released, the share back in the owner's wallet, gas paid by
 * the operator) and its keeper later slashes only the missed week. With the relayer off, the owner is nudged to
 * "claim before <deadline>", and the keeper never slashes the met milestone. An agent assembled as `main.ts` does,
 * on an in-process Hardhat chain over HTTP JSON-RPC, with time travel; the vault's threshold is 1 (the default of
 * `scripts/deploy.ts`), so this agent's signature settles a claim.
 */
import { expect } from "chai";
import request from "supertest";
import { parseEther } from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { type AssembleAgentReturnType, assembleAgent } from "../src/assembleAgent.ts";
import { ManualClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { canonicalizeRules } from "../src/rules/rulesDocument.ts";
import { mayHaveMoved } from "../src/services/autoSettle.ts";
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

const RELEASED = 1;
const SLASHED = 2;
const OPEN = 0;

/** The first instant at or after `after` (Unix seconds) that is `secondsIntoDay` past midnight UTC. */
function nextUtcTimeOfDay(after: number, secondsIntoDay: number): number {
  const sameDay = Math.floor(after / DAY) * DAY + secondsIntoDay;
  return sameDay >= after ? sameDay : sameDay + DAY;
}

interface Scenario {
  chain: HardhatChain;
  rpc: RpcOverHttp;
  agent: AssembleAgentReturnType;
  clock: ManualClock;
  commitmentId: bigint;
  start: number;
  amount: bigint;
  travelTo(unixSeconds: number): Promise<void>;
  state(index: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A fresh chain, one agent, and Alice's two-day commitment with three runs on day one. The vault's oracle set is
 * this agent's alone (threshold 1) unless `soloOracle` is false (3 oracles, threshold 2). `earlierCommitment`
 * creates another one just before Alice's (a lower id).
 */
async function scenario(
  env: Record<string, string>,
  soloOracle = true,
  earlierCommitment?: (chain: HardhatChain, start: number) => Promise<bigint>,
): Promise<Scenario> {
  const clock = new ManualClock(0);
  const chain = await createHardhatChain();
  const rpc = await serveRpcOverHttp(chain.provider);
  const oracle = chain.accounts.oracles[0];
  if (oracle === undefined) throw new Error("no oracle");
  if (soloOracle) {
    const setOracles = await chain.wallet(chain.accounts.admin).writeContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "setOracles",
      args: [[oracle.address], 1],
    });
    await chain.client.waitForTransactionReceipt({ hash: setOracles });
  }
  clock.set((await chain.latestTimestamp()) * 1000);
  const config = loadConfig({
    ...agentEnv(chain, rpc),
    ORACLE_PRIVATE_KEY: oracle.privateKey,
    OPERATOR_PRIVATE_KEY: chain.accounts.operator.privateKey,
    KEEPER_ENABLED: "true",
    ...env,
  });
  const agent = await assembleAgent({ config, clock, logger: createLogger({ level: "silent" }) });
  const travelTo = timeTravel(chain, clock);
  // The claim nudges go out a day and a few minutes after the start: it is 09:00 UTC, so they never fall in the
  // owner's default quiet hours (22:00-07:00) whatever the hour the suite runs (at 22:10 UTC they all did).
  const start = nextUtcTimeOfDay((await chain.latestTimestamp()) + 180, 9 * HOUR);
  await travelTo(start - 120);
  const cookie = await signIn({ app: agent.app, clock, account: chain.accounts.alice });
  expect(
    (await request(agent.app).post("/api/rules").set("Cookie", cookie).send({ rules: RULES })).status,
  ).to.equal(200);
  await earlierCommitment?.(chain, start);
  const amount = parseEther("2");
  const commitmentId = await chain.createEthCommitment({
    owner: chain.accounts.alice,
    amount,
    start,
    period: DAY,
    milestones: 2,
    grace: HOUR,
    rulesHash: canonicalizeRules(RULES).rulesHash,
  });
  await agent.tasks.indexer?.runOnce();
  await travelTo(start + 10 * HOUR);
  for (const minutes of [10, 100, 190]) {
    const res = await request(agent.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", gpxRun((start + minutes * MINUTE) * 1000), `run-${minutes}.gpx`);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
  }
  const state = async (index: number) =>
    Number(
      await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [commitmentId, BigInt(index)],
      }),
    );
  return {
    chain,
    rpc,
    agent,
    clock,
    commitmentId,
    start,
    amount,
    travelTo,
    state,
    close: async () => {
      await agent.close();
      await rpc.close();
      await chain.close();
    },
  };
}

/** Bob's two-day commitment with the same start and rules as Alice's, created just before hers: never met. */
function bobsCommitment(chain: HardhatChain, start: number): Promise<bigint> {
  return chain.createEthCommitment({
    owner: chain.accounts.bob,
    amount: parseEther("2"),
    start,
    period: DAY,
    milestones: 2,
    grace: HOUR,
    rulesHash: canonicalizeRules(RULES).rulesHash,
  });
}

describe("automatic settlement: a user meets the week and never clicks anything", function () {
  this.timeout(180_000);

  describe("with the relayer on", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "true" });
    });
    after(async () => s?.close());

    it("claims the met milestone itself, well before the deadline: Released, the share in Alice's wallet", async () => {
      // The window is over; the claim deadline is an hour away.
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const before = await s.chain.ethBalance(s.chain.accounts.alice.address);
      const result = await s.agent.tasks.autoSettle?.runOnce();
      expect(result?.claimed.map((c) => [c.commitmentId, c.milestoneIndex, c.status])).to.deep.equal([
        [s.commitmentId, 0, "confirmed"],
      ]);
      expect(result?.notMet).to.equal(1);
      expect(await s.state(0)).to.equal(RELEASED);
      // Alice sent nothing and paid no gas: her balance rose by exactly the share.
      expect((await s.chain.ethBalance(s.chain.accounts.alice.address)) - before).to.equal(s.amount / 2n);
      const audit = await s.agent.store.auditLog.list({ limit: 50 });
      expect(audit.find((e) => e.action === "claim.requested")?.actor).to.equal("agent");

      // Nothing is sent twice.
      await s.agent.tasks.indexer?.runOnce();
      const again = await s.agent.tasks.autoSettle?.runOnce();
      expect(again?.claimed).to.deep.equal([]);
    });

    it("the keeper slashes only the missed second week", async () => {
      await s.travelTo(s.start + 2 * DAY + HOUR + MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const result = await s.agent.tasks.keeper?.runOnce();
      expect(result?.slashed).to.equal(1);
      expect([await s.state(0), await s.state(1)]).to.deep.equal([RELEASED, SLASHED]);
    });
  });

  describe("with the relayer on, a budget of one milestone a run, and Bob's earlier commitment never met", () => {
    let s: Scenario;
    let bobs: bigint;
    before(async () => {
      s = await scenario(
        { RELAYER_ENABLED: "true", AUTO_SETTLE_MAX_PER_RUN: "1" },
        true,
        async (chain, start) => {
          bobs = await bobsCommitment(chain, start);
          return bobs;
        },
      );
    });
    after(async () => s?.close());

    it("Bob's weeks not met take none of the budget: the first run claims Alice's met milestone", async () => {
      // Bob's commitment (lower id) comes first. Before the scan cursor every run spent its budget on his missed
      // week (a candidate until its deadline) and never reached Alice's (the load test's last ~90 users); with
      // the cursor it took the next run; at 10,000 users the cursor came round after the deadlines. Weeks the
      // store says are not met are now counted apart, so the budget goes to met milestones only.
      expect(bobs < s.commitmentId).to.equal(true);
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const first = await s.agent.tasks.autoSettle?.runOnce();
      expect(first?.claimed.map((c) => [c.commitmentId, c.milestoneIndex, c.status])).to.deep.equal([
        [s.commitmentId, 0, "confirmed"],
      ]);
      // Bob's missed week and second week in progress, Alice's second week in progress.
      expect(first?.notMet).to.equal(3);
      expect(await s.state(0)).to.equal(RELEASED);
      const second = await s.agent.tasks.autoSettle?.runOnce();
      expect(second?.claimed).to.deep.equal([]);
    });
  });

  describe("with the relayer on, one commitment a run (AUTO_SETTLE_MAX_RUN_MS=0), and Bob's earlier commitment never met", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "true", AUTO_SETTLE_MAX_RUN_MS: "0" }, true, bobsCommitment);
    });
    after(async () => s?.close());

    it("a run out of time stops after Bob's commitment and the next starts with Alice's, which it claims", async () => {
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const first = await s.agent.tasks.autoSettle?.runOnce();
      expect([first?.claimed, first?.notMet]).to.deep.equal([[], 2]);
      const second = await s.agent.tasks.autoSettle?.runOnce();
      expect(second?.claimed.map((c) => [c.commitmentId, c.milestoneIndex, c.status])).to.deep.equal([
        [s.commitmentId, 0, "confirmed"],
      ]);
      expect(await s.state(0)).to.equal(RELEASED);
    });
  });

  describe("with the relayer on and a claim row left unsigned (a replica died between recording and signing)", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "true" });
    });
    after(async () => s?.close());

    it("claims the met milestone all the same: the unsigned row is sent, not taken as pending", async () => {
      await s.agent.store.chainTransactions.insertIfAbsent({
        chainId: s.chain.chainId,
        vault: s.chain.vault,
        kind: "claim",
        commitmentId: s.commitmentId,
        milestoneIndex: 0,
        fromAddress: s.chain.accounts.operator.address,
      });
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const result = await s.agent.tasks.autoSettle?.runOnce();
      expect(result?.claimed.map((c) => [c.commitmentId, c.milestoneIndex, c.status])).to.deep.equal([
        [s.commitmentId, 0, "confirmed"],
      ]);
      expect(await s.state(0)).to.equal(RELEASED);
    });
  });

  describe("with the relayer on and a pause across the deadline", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "true" });
    });
    after(async () => s?.close());

    const guardian = async (functionName: "pause" | "unpause") => {
      const hash = await s.chain.wallet(s.chain.accounts.admin).writeContract({
        address: s.chain.vault,
        abi: commitmentVaultAbi,
        functionName,
      });
      await s.chain.client.waitForTransactionReceipt({ hash });
    };

    it("claims the met milestone in the time the pause added, after its nominal deadline", async () => {
      // Paused before the window ends; unpaused 2 h after the nominal deadline (start + 1 day + 1 h grace).
      await s.travelTo(s.start + DAY - 30 * MINUTE);
      await guardian("pause");
      await s.travelTo(s.start + DAY + 3 * HOUR);
      await guardian("unpause");
      await s.agent.tasks.indexer?.runOnce();
      expect(await s.state(0)).to.equal(OPEN);
      const result = await s.agent.tasks.autoSettle?.runOnce();
      expect(result?.claimed.map((c) => [c.commitmentId, c.milestoneIndex, c.status])).to.deep.equal([
        [s.commitmentId, 0, "confirmed"],
      ]);
      expect(await s.state(0)).to.equal(RELEASED);
    });
  });

  describe("with the relayer off", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "false" });
    });
    after(async () => s?.close());

    it("nudges the owner to claim before the deadline, once", async () => {
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const result = await s.agent.tasks.autoSettle?.runOnce();
      expect(result?.claimed).to.deep.equal([]);
      expect(result?.nudged).to.deep.equal([{ commitmentId: s.commitmentId, milestoneIndex: 0 }]);
      const nudges = await s.agent.store.nudges.listByOwner(s.chain.accounts.alice.address);
      const deadline = new Date((s.start + DAY + HOUR) * 1000).toISOString().replace(".000Z", "Z");
      expect(nudges.map((n) => [n.channel, n.reason, n.message])).to.deep.equal([
        [
          "inApp",
          "claim_due",
          `You met milestone 1 of commitment ${s.commitmentId}: claim it before ${deadline} to get its share back.`,
        ],
      ]);
      const again = await s.agent.tasks.autoSettle?.runOnce();
      expect(again?.nudged).to.deep.equal([]);
    });

    it("the keeper never slashes the met milestone, only the missed one", async () => {
      await s.travelTo(s.start + 2 * DAY + HOUR + MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const result = await s.agent.tasks.keeper?.runOnce();
      expect(result?.slashed).to.equal(1);
      expect([await s.state(0), await s.state(1)]).to.deep.equal([OPEN, SLASHED]);
      // Run again: still withheld.
      expect((await s.agent.tasks.keeper?.runOnce())?.slashed).to.equal(0);
      expect(await s.state(0)).to.equal(OPEN);
    });
  });

  describe("with the relayer on but a threshold this agent alone does not reach (2 of 3)", () => {
    let s: Scenario;
    before(async () => {
      s = await scenario({ RELAYER_ENABLED: "true" }, false);
    });
    after(async () => s?.close());

    it("sends nothing and nudges the owner to gather the other oracles' signatures and claim", async () => {
      await s.travelTo(s.start + DAY + 5 * MINUTE);
      await s.agent.tasks.indexer?.runOnce();
      const result = await s.agent.tasks.autoSettle?.runOnce();
      expect(result?.claimed).to.deep.equal([]);
      expect(result?.nudged).to.deep.equal([{ commitmentId: s.commitmentId, milestoneIndex: 0 }]);
      expect(await s.state(0)).to.equal(OPEN);
      const rows = await s.agent.store.chainTransactions.listForCommitments({
        chainId: s.chain.chainId,
        vault: s.chain.vault,
        kind: "claim",
        commitmentIds: [s.commitmentId],
      });
      expect(rows).to.deep.equal([]);
    });
  });
});

describe("mayHaveMoved: which milestones past their nominal deadline a pause may have moved", () => {
  const end = 1_000_000;
  const nominal = end + 3600;
  it("never paused, or paused right now: none", () => {
    expect(mayHaveMoved({ pausedAt: 0, lastUnpausedAt: 0 }, end, nominal)).to.equal(false);
    expect(mayHaveMoved({ pausedAt: end + 10, lastUnpausedAt: end - 10 }, end, nominal)).to.equal(false);
  });
  it("unpaused after the window ended, or less than an hour before the nominal deadline: maybe", () => {
    expect(mayHaveMoved({ pausedAt: 0, lastUnpausedAt: end + 1 }, end, nominal)).to.equal(true);
    expect(mayHaveMoved({ pausedAt: 0, lastUnpausedAt: nominal - 3599 }, end, nominal)).to.equal(true);
  });
  it("unpaused long before: no", () => {
    expect(mayHaveMoved({ pausedAt: 0, lastUnpausedAt: end - 2 * 3600 }, end, nominal + 3600)).to.equal(
      false,
    );
    expect(mayHaveMoved({ pausedAt: 0, lastUnpausedAt: nominal - 3600 }, end + 3600, nominal)).to.equal(
      false,
    );
  });
});
