/**
 * Evidence sets make m-of-n quorums form (PRODUCT.md, v2): oracle A saw four qualifying runs, oracle B missed the
 * earliest one, oracle C is down. Without a body each signs its canonical set (the earliest three): the hashes
 * differ. Asked for the set B saw, A signs exactly that set (a re-signing, audit-logged); with B's canonical
 * signature the 2-of-3 quorum claims on chain. Two agent instances assembled as `main.ts` does, each with its own
 * oracle key and store, on an in-process Hardhat chain over HTTP JSON-RPC; the third oracle never starts.
 */
import { expect } from "chai";
import request from "supertest";
import { type Address, type Hex, parseEther } from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { type AssembleAgentReturnType, assembleAgent } from "../src/assembleAgent.ts";
import { evidenceHash } from "../src/attestation/milestoneAttestation.ts";
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

interface Attestation {
  signer: Address;
  signature: Hex;
  evidenceHash: Hex;
  validUntil: number;
}

describe("evidence sets: a 2-of-3 quorum forms although oracle B missed an upload and oracle C is down", function () {
  this.timeout(180_000);

  const clock = new ManualClock(0);
  const logger = createLogger({ level: "silent" });
  let chain: HardhatChain;
  let rpc: RpcOverHttp;
  const agents: AssembleAgentReturnType[] = [];
  const cookies: string[] = [];
  let start: number;
  let commitmentId: bigint;
  /** Content hashes of the four runs, earliest first. */
  const runs: Hex[] = [];
  const amount = parseEther("2");
  const { rulesHash } = canonicalizeRules(RULES);

  const travelTo = (unixSeconds: number) => timeTravel(chain, clock)(unixSeconds);

  const attest = (i: number, body?: object) => {
    const agent = agents[i];
    if (agent === undefined) throw new Error(`no agent ${i}`);
    const req = request(agent.app)
      .post(`/api/commitments/${commitmentId}/milestones/0/attestation`)
      .set("Cookie", cookies[i] ?? "");
    return body === undefined ? req : req.send(body);
  };

  before(async () => {
    chain = await createHardhatChain();
    rpc = await serveRpcOverHttp(chain.provider);
    clock.set((await chain.latestTimestamp()) * 1000);
    const base = { ...agentEnv(chain, rpc), KEEPER_ENABLED: "false" };
    // Oracles A and B; C (chain.accounts.oracles[2]) is down: never started.
    for (const key of chain.accounts.oracles.slice(0, 2)) {
      const config = loadConfig({ ...base, ORACLE_PRIVATE_KEY: key.privateKey });
      agents.push(await assembleAgent({ config, clock, logger }));
    }
    for (const agent of agents) {
      const cookie = await signIn({ app: agent.app, clock, account: chain.accounts.alice });
      cookies.push(cookie);
      const res = await request(agent.app).post("/api/rules").set("Cookie", cookie).send({ rules: RULES });
      expect(res.status).to.equal(200);
    }
    start = (await chain.latestTimestamp()) + 60;
    commitmentId = await chain.createEthCommitment({
      owner: chain.accounts.alice,
      amount,
      start,
      period: DAY,
      milestones: 2,
      grace: HOUR,
      rulesHash,
    });
    for (const agent of agents) await agent.tasks.indexer?.runOnce();
    await travelTo(start + 10 * HOUR);
    for (const [n, runStart] of [10, 100, 190, 280].map((m) => [m, (start + m * MINUTE) * 1000] as const)) {
      // B missed the earliest run (uploaded to A only).
      for (const [i, agent] of agents.entries()) {
        if (i === 1 && n === 10) continue;
        const res = await request(agent.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookies[i] ?? "")
          .attach("file", gpxRun(runStart), `run-${n}.gpx`);
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.workouts[0].verdict.status).to.equal("accepted");
        if (i === 0) runs.push(res.body.workouts[0].contentHash as Hex);
      }
    }
    await travelTo(start + DAY + 10 * MINUTE);
  });

  after(async () => {
    for (const agent of agents) await agent.close();
    await rpc?.close();
    await chain?.close();
  });

  it("without a body each oracle signs its canonical set: the earliest runs, exactly as many as required", async () => {
    const [a, b] = [await attest(0), await attest(1)];
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
    expect(a.body.evidenceHash).to.equal(evidenceHash(runs.slice(0, 3)));
    expect(b.body.evidenceHash).to.equal(evidenceHash(runs.slice(1, 4)));
    // Asking again for the same set: the same signature, nothing new logged.
    expect((await attest(0)).body).to.deep.equal(a.body);
  });

  it("refuses a set naming a workout the oracle did not accept for the owner, or too small, naming the field", async () => {
    const unknown = `0x${"ab".repeat(32)}` as Hex;
    const res = await attest(1, { workouts: [runs[1], unknown, runs[3]] });
    expect(res.status).to.equal(409);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(res.body).to.include({
      code: "evidence_workout_not_qualifying",
      field: "workouts.1",
      contentHash: unknown,
    });
    // B never saw the earliest run.
    const missed = await attest(1, { workouts: [runs[0], runs[1], runs[2]] });
    expect(missed.body).to.include({ code: "evidence_workout_not_qualifying", field: "workouts.0" });
    const small = await attest(0, { workouts: [runs[1], runs[2]] });
    expect(small.status).to.equal(409);
    expect(small.body).to.include({ code: "evidence_set_too_small", field: "workouts", required: 3 });
    const twice = await attest(0, { workouts: [runs[1], runs[1], runs[2]] });
    expect(twice.status).to.equal(400);
    expect(twice.body.field).to.equal("workouts");
  });

  it("A signs exactly the set B saw when asked, audit-logged as a re-signing; the 2-of-3 quorum claims on chain", async () => {
    const set = [runs[3], runs[1], runs[2]];
    const a = await attest(0, { workouts: set });
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    const b = await attest(1);
    const attestations = [a.body as Attestation, b.body as Attestation];
    expect(attestations[0]?.evidenceHash).to.equal(attestations[1]?.evidenceHash);
    expect(attestations[0]?.validUntil).to.equal(attestations[1]?.validUntil);

    const audit = await agents[0]?.store.auditLog.list({ limit: 20 });
    const signed = (audit ?? []).filter((e) => e.action === "attestation.signed").reverse();
    expect(signed.map((e) => e.details.evidenceHash)).to.deep.equal([
      evidenceHash(runs.slice(0, 3)),
      evidenceHash(runs.slice(1, 4)),
    ]);
    expect(signed.map((e) => e.details.set)).to.deep.equal(["canonical", "asked"]);

    const sorted = [...attestations].sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1));
    const first = sorted[0] as Attestation;
    const before = await chain.ethBalance(chain.accounts.alice.address);
    const hash = await chain.wallet(chain.accounts.alice).writeContract({
      address: chain.vault,
      abi: commitmentVaultAbi,
      functionName: "claimMilestone",
      args: [commitmentId, 0n, first.evidenceHash, BigInt(first.validUntil), sorted.map((x) => x.signature)],
    });
    const receipt = await chain.client.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    const after = await chain.ethBalance(chain.accounts.alice.address);
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).to.equal(amount / 2n);
  });
});
