/**
 * The whole journey, end to end, with a 2-of-3 oracle quorum: three independent agent instances (own oracle key,
 * own store), each assembled from its real configuration exactly as `main.ts` does, follow one vault on an
 * in-process Hardhat chain reached over HTTP JSON-RPC. Sign in with Ethereum → rules → commitment created on
 * chain → device-format files (GPX, TCX, FIT) uploaded to two of the oracles → attestations from two instances →
 * claim on chain → the owner's balance rises by exactly the share; the third oracle, which saw no evidence,
 * refuses to attest. Then a missed window → the keeper slashes → the beneficiary is credited the share.
 *
 * The agents' clock follows the chain's time (set after each time travel), as the demo's does.
 */
import { expect } from "chai";
import request from "supertest";
import { type Address, type Hex, parseEther, zeroAddress } from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { type AssembleAgentReturnType, assembleAgent } from "../src/assembleAgent.ts";
import { ManualClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { canonicalizeRules, type RulesDocument } from "../src/rules/rulesDocument.ts";
import { signIn } from "./http/signIn.ts";
import { createHardhatChain, type HardhatChain, type TestAccount } from "./support/hardhatChain.ts";
import { type RpcOverHttp, serveRpcOverHttp } from "./support/rpcOverHttp.ts";
import { encodeFit, gpx, tcx, track } from "./workouts/fixtures.ts";

const DAY = 86_400;
const HOUR = 3_600;
const MINUTE = 60;

const RULES: RulesDocument = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride"] },
  evidence: "device",
};

interface Oracle {
  name: string;
  key: TestAccount;
  agent: AssembleAgentReturnType;
  cookie?: string;
}

interface Attestation {
  signer: Address;
  signature: Hex;
  evidenceHash: Hex;
  validUntil: number;
  rulesHash: Hex;
}

/** A 35-minute run as GPX, a 40-minute ride as TCX and a 60-minute run as FIT, back to back from `start` (ms). */
function deviceFiles(start: number): { name: string; bytes: Buffer }[] {
  const run = track({ start, seconds: 35 * MINUTE, speedMps: 3, heartRate: 148 });
  const rideStart = start + 40 * MINUTE * 1000;
  const ride = track({
    start: rideStart,
    seconds: 40 * MINUTE,
    speedMps: 8,
    heartRate: 135,
    withDistance: true,
  });
  const fitStart = start + 85 * MINUTE * 1000;
  const fitRecords = track({
    start: fitStart,
    seconds: HOUR,
    speedMps: 3,
    heartRate: 150,
    withDistance: true,
  });
  return [
    { name: "morning-run.gpx", bytes: Buffer.from(gpx({ type: "running", segments: [run] })) },
    {
      name: "ride.tcx",
      bytes: Buffer.from(
        tcx([
          {
            sport: "Biking",
            laps: [{ start: rideStart, totalTimeSec: 40 * MINUTE, distanceM: 8 * 40 * MINUTE, points: ride }],
          },
        ]),
      ),
    },
    {
      name: "long-run.fit",
      bytes: Buffer.from(
        encodeFit({
          timeCreated: fitStart,
          records: fitRecords,
          timerEvents: [
            [fitStart, "start"],
            [fitStart + HOUR * 1000, "stopAll"],
          ],
          sessions: [
            {
              sport: "running",
              start: fitStart,
              timerSec: HOUR,
              elapsedSec: HOUR,
              distanceM: 3 * HOUR,
              avgHeartRate: 150,
            },
          ],
        }),
      ),
    },
  ];
}

describe("journey: 2-of-3 oracle quorum from sign-in to claim, and a missed window slashed by the keeper", function () {
  this.timeout(180_000);

  const clock = new ManualClock(0);
  const logger = createLogger({ level: "silent" });
  let chain: HardhatChain;
  let rpc: RpcOverHttp;
  const oracles: Oracle[] = [];
  let start: number;
  let commitmentId: bigint;
  const amount = parseEther("2");
  const share = amount / 2n;
  const { rulesHash } = canonicalizeRules(RULES);

  function app(index: number) {
    const oracle = oracles[index];
    if (oracle === undefined) throw new Error(`no oracle ${index}`);
    return oracle.agent.app;
  }

  async function travelTo(unixSeconds: number): Promise<void> {
    const now = await chain.latestTimestamp();
    if (unixSeconds > now) await chain.increaseTime(unixSeconds - now);
    clock.set((await chain.latestTimestamp()) * 1000);
  }

  async function followChain(): Promise<void> {
    for (const oracle of oracles) await oracle.agent.tasks.indexer?.runOnce();
  }

  before(async () => {
    chain = await createHardhatChain();
    rpc = await serveRpcOverHttp(chain.provider);
    clock.set((await chain.latestTimestamp()) * 1000);
    const base = {
      RPC_URL: rpc.url,
      CHAIN_ID: String(chain.chainId),
      VAULT_ADDRESS: chain.vault,
      VAULT_DEPLOYMENT_BLOCK: String(chain.deploymentBlock),
      DATA_DIR: "memory://",
      LOG_LEVEL: "silent",
      SESSION_TTL_SECONDS: String(30 * DAY),
      INDEXER_CONFIRMATIONS: "0",
    };
    const [first, second, third] = chain.accounts.oracles;
    if (first === undefined || second === undefined || third === undefined)
      throw new Error("three oracles expected");
    const instances: [string, TestAccount, Record<string, string>][] = [
      ["A", first, { OPERATOR_PRIVATE_KEY: chain.accounts.operator.privateKey, KEEPER_ENABLED: "true" }],
      ["B", second, { KEEPER_ENABLED: "false" }],
      ["C", third, { KEEPER_ENABLED: "false" }],
    ];
    for (const [name, key, extra] of instances) {
      const config = loadConfig({ ...base, ...extra, ORACLE_PRIVATE_KEY: key.privateKey });
      oracles.push({ name, key, agent: await assembleAgent({ config, clock, logger }) });
    }
  });

  after(async () => {
    for (const oracle of oracles) await oracle.agent.close();
    await rpc?.close();
    await chain?.close();
  });

  it("each instance is its own oracle, with its own key, on the same vault", () => {
    expect(oracles.map((o) => o.agent.oracle)).to.deep.equal(oracles.map((o) => o.key.address));
    expect(new Set(oracles.map((o) => o.agent.store)).size).to.equal(3);
    expect(chain.threshold).to.equal(2);
    expect(oracles[0]?.agent.tasks.keeper).to.not.equal(undefined);
    expect(oracles[1]?.agent.tasks.keeper).to.equal(undefined);
  });

  it("reports the chain in its deep health check", async () => {
    const first = oracles[0];
    if (first === undefined) throw new Error("no oracle 0");
    // Deep health is on the internal listener's app, not the public one.
    const res = await request(first.agent.internalApp).get("/health?deep=1");
    expect(res.status).to.equal(200);
    expect(res.body.checks.rpc.status).to.equal("ok");
    expect(res.body.checks.signer.status).to.equal("ok");
  });

  it("signs Alice in on every instance and takes her rules, hashing them as the chain will", async () => {
    for (const oracle of oracles) {
      oracle.cookie = await signIn({ app: oracle.agent.app, clock, account: chain.accounts.alice });
      const res = await request(oracle.agent.app)
        .post("/api/rules")
        .set("Cookie", oracle.cookie)
        .send({ rules: RULES });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.rulesHash).to.equal(rulesHash);
    }
  });

  it("follows the commitment Alice creates on chain", async () => {
    start = (await chain.latestTimestamp()) + 60;
    commitmentId = await chain.createEthCommitment({
      owner: chain.accounts.alice,
      amount,
      start,
      period: DAY,
      milestones: 2,
      grace: HOUR,
      beneficiary: chain.accounts.beneficiary.address,
      rulesHash,
    });
    await followChain();
    const res = await request(app(0))
      .get(`/api/commitments/${commitmentId}`)
      .set("Cookie", oracles[0]?.cookie ?? "");
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.rulesHash).to.equal(rulesHash);
    expect(res.body.rulesKnown).to.equal(true);
    expect(res.body.amount).to.equal(amount.toString());
    expect(res.body.milestones.map((m: { state: string }) => m.state)).to.deep.equal(["Open", "Open"]);
  });

  it("refuses another person's commitment", async () => {
    const bob = await signIn({ app: app(0), clock, account: chain.accounts.bob });
    const res = await request(app(0)).get(`/api/commitments/${commitmentId}`).set("Cookie", bob);
    expect(res.status).to.be.oneOf([403, 404]);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
  });

  it("accepts GPX, TCX and FIT workouts of the first window on the two oracles she uses", async () => {
    await travelTo(start + 3 * HOUR);
    const files = deviceFiles((start + 5 * MINUTE) * 1000);
    for (const oracle of oracles.slice(0, 2)) {
      for (const file of files) {
        const res = await request(oracle.agent.app)
          .post("/api/workouts/upload")
          .set("Cookie", oracle.cookie ?? "")
          .attach("file", file.bytes, file.name);
        expect(res.status, `${oracle.name} ${file.name}: ${JSON.stringify(res.body)}`).to.be.oneOf([
          200, 201,
        ]);
        const statuses = (res.body.workouts as { verdict: { status: string } }[]).map(
          (w) => w.verdict.status,
        );
        expect(statuses, `${oracle.name} ${file.name}: ${JSON.stringify(res.body)}`).to.deep.equal([
          "accepted",
        ]);
      }
    }
  });

  it("attests from two instances with the same evidence, and the third, without evidence, says what is missing", async () => {
    await travelTo(start + DAY + 10 * MINUTE);
    const attestations: Attestation[] = [];
    for (const oracle of oracles.slice(0, 2)) {
      const res = await request(oracle.agent.app)
        .post(`/api/commitments/${commitmentId}/milestones/0/attestation`)
        .set("Cookie", oracle.cookie ?? "")
        .send({});
      expect(res.status, `${oracle.name}: ${JSON.stringify(res.body)}`).to.equal(200);
      expect(res.body.signer).to.equal(oracle.key.address);
      attestations.push(res.body as Attestation);
    }
    expect(attestations[0]?.evidenceHash).to.equal(attestations[1]?.evidenceHash);
    expect(attestations[0]?.validUntil).to.equal(attestations[1]?.validUntil);
    expect(attestations[0]?.validUntil).to.equal(start + DAY + HOUR - 1);

    const refused = await request(app(2))
      .post(`/api/commitments/${commitmentId}/milestones/0/attestation`)
      .set("Cookie", oracles[2]?.cookie ?? "")
      .send({});
    expect(refused.status).to.equal(409);
    expect(refused.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(JSON.stringify(refused.body)).to.match(/workout/i);

    // The claim: Alice submits both signatures (ascending by signer, as the vault wants) from her wallet.
    const sorted = [...attestations].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    const first = sorted[0] as Attestation;
    const before = await chain.ethBalance(chain.accounts.alice.address);
    const hash = await chain.wallet(chain.accounts.alice).writeContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "claimMilestone",
      args: [commitmentId, 0n, first.evidenceHash, BigInt(first.validUntil), sorted.map((a) => a.signature)],
    });
    const receipt = await chain.client.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    const after = await chain.ethBalance(chain.accounts.alice.address);
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).to.equal(share);
  });

  it("shows the released milestone once it has followed the chain", async () => {
    await followChain();
    const res = await request(app(1))
      .get(`/api/commitments/${commitmentId}`)
      .set("Cookie", oracles[1]?.cookie ?? "");
    expect(res.status).to.equal(200);
    expect(res.body.milestones.map((m: { state: string }) => m.state)).to.deep.equal(["Released", "Open"]);
    expect(res.body.milestones[0].progress).to.deep.include({ done: 3, required: 3, met: true });
    expect(res.body.totals.released).to.equal(share.toString());
  });

  it("slashes the missed second window once its grace has passed, crediting the beneficiary the share", async () => {
    await travelTo(start + 2 * DAY + HOUR - 60);
    await followChain();
    // Not yet due: the keeper sends nothing.
    await oracles[0]?.agent.tasks.keeper?.runOnce();
    expect(await chain.credits(chain.accounts.beneficiary.address, zeroAddress)).to.equal(0n);

    await travelTo(start + 2 * DAY + HOUR + 60);
    await followChain();
    await oracles[0]?.agent.tasks.keeper?.runOnce();
    expect(await chain.credits(chain.accounts.beneficiary.address, zeroAddress)).to.equal(share);
    const state = await chain.client.readContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "milestoneState",
      args: [commitmentId, 1n],
    });
    expect(Number(state)).to.equal(2);

    // Run again: nothing is sent twice.
    await oracles[0]?.agent.tasks.keeper?.runOnce();
    expect(await chain.credits(chain.accounts.beneficiary.address, zeroAddress)).to.equal(share);
  });
});
