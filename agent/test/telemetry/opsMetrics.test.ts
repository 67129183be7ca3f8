/**
 * The metrics the alerts need, from what produces them: the operations sampler over a real store (PGlite) and a
 * chain stand-in (backlogs, operator balance, indexer lag, signer), the rate limiter's degraded gauge, the
 * recent-latency windows and what `GET /health?deep=1` reports of them and of the database pool.
 */
import { expect } from "chai";
import request from "supertest";
import type { Address } from "viem";
import { assembleAgent } from "../../src/assembleAgent.ts";
import { ManualClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { healthDetails } from "../../src/http/healthDetails.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import { openStore } from "../../src/store/index.ts";
import type { Store } from "../../src/store/store.ts";
import { LatencyWindow } from "../../src/telemetry/latencyWindow.ts";
import { createOpsSampler } from "../../src/telemetry/opsSampler.ts";

const CHAIN_ID = 31337;
const VAULT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ORACLE: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const OTHER_ORACLE: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const OPERATOR: Address = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const OWNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const HOUR = 3_600;
const NOW = 1_900_000_000; // unix seconds

async function gauge(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe("operations metrics", () => {
  const clock = new ManualClock(NOW * 1000);
  const logger = createLogger({ level: "silent" });
  let store: Store;

  before(async () => {
    store = await openStore({ dataDir: "memory://", clock });
    // Commitment 1: milestone 0 overdue by 45 min (slash deadline start+period+grace), milestone 1 still running.
    // Commitment 2: milestone 0's window ended 3 h ago (grace 6 h), attested by this oracle; milestone 1 ended 1 h
    // ago, attested by another oracle only. Commitment 3: released and slashed milestones count for nothing.
    const base = {
      chainId: CHAIN_ID,
      vault: VAULT,
      owner: OWNER,
      token: "0x0000000000000000000000000000000000000000",
      amount: 10n ** 18n,
      beneficiary: OWNER,
      rulesHash: `0x${"11".repeat(32)}`,
      closed: false,
      updatedBlock: 10,
    };
    await store.commitments.upsert({
      ...base,
      commitmentId: 1n,
      start: NOW - 2 * HOUR - 45 * 60 - HOUR,
      period: 2 * HOUR,
      milestones: 2,
      grace: HOUR,
      milestoneStates: ["Open", "Open"],
    });
    await store.commitments.upsert({
      ...base,
      commitmentId: 2n,
      start: NOW - 5 * HOUR,
      period: 2 * HOUR,
      milestones: 2,
      grace: 6 * HOUR,
      milestoneStates: ["Open", "Open"],
    });
    await store.commitments.upsert({
      ...base,
      commitmentId: 3n,
      start: NOW - 100 * HOUR,
      period: HOUR,
      milestones: 2,
      grace: HOUR,
      milestoneStates: ["Released", "Slashed"],
    });
    const attestation = {
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId: 2n,
      evidenceHash: `0x${"22".repeat(32)}`,
      validUntil: NOW + HOUR,
      signature: `0x${"33".repeat(65)}`,
    };
    await store.attestations.getOrCreate({ ...attestation, milestoneIndex: 0, signer: ORACLE });
    await store.attestations.getOrCreate({ ...attestation, milestoneIndex: 1, signer: OTHER_ORACLE });
    await store.indexerCursor.set({
      chainId: CHAIN_ID,
      vault: VAULT,
      blockNumber: 930,
      blockHash: `0x${"44".repeat(32)}`,
    });
  });

  after(async () => {
    await store?.close();
  });

  it("samples the keeper's and relayer's backlogs, the operator balance, the indexer lag and the signer", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let signs = true;
    const sampler = createOpsSampler({
      store,
      metrics,
      clock,
      logger,
      chain: {
        client: { getBalance: async () => 1_250_000_000_000_000_000n, getBlockNumber: async () => 1_000n },
        chainId: CHAIN_ID,
        vault: VAULT,
      },
      operator: OPERATOR,
      signer: {
        address: ORACLE,
        probe: async () => {
          if (!signs) throw new Error("the remote signer does not answer");
        },
      },
    });
    await sampler.sampleOnce();
    expect(await gauge(metrics, "agent_milestones_overdue_unslashed")).to.equal(1);
    expect(await gauge(metrics, "agent_milestones_overdue_unslashed_oldest_seconds")).to.equal(45 * 60);
    expect(await gauge(metrics, "agent_milestones_attested_unclaimed")).to.equal(1);
    expect(await gauge(metrics, "agent_milestones_attested_unclaimed_oldest_seconds")).to.equal(3 * HOUR);
    expect(await gauge(metrics, "agent_chain_account_balance_eth", { account: "operator" })).to.equal(1.25);
    expect(await gauge(metrics, "agent_indexer_lag_blocks")).to.equal(70);
    expect(await gauge(metrics, "agent_signer_up")).to.equal(1);
    expect(await gauge(metrics, "agent_ops_sample_timestamp_seconds")).to.equal(NOW);

    // The signer goes away: its gauge drops and the sample is not stamped as complete.
    signs = false;
    clock.set((NOW + 30) * 1000);
    await sampler.sampleOnce();
    expect(await gauge(metrics, "agent_signer_up")).to.equal(0);
    expect(await gauge(metrics, "agent_ops_sample_timestamp_seconds")).to.equal(NOW);
    clock.set(NOW * 1000);
  });

  it("keeps a part's gauge when only that part fails", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const sampler = createOpsSampler({
      store,
      metrics,
      clock,
      logger,
      chain: {
        client: {
          getBalance: async () => {
            throw new Error("rpc down");
          },
          getBlockNumber: async () => 931n,
        },
        chainId: CHAIN_ID,
        vault: VAULT,
      },
      operator: OPERATOR,
    });
    await sampler.sampleOnce();
    expect(await gauge(metrics, "agent_indexer_lag_blocks")).to.equal(1);
    expect(await gauge(metrics, "agent_chain_account_balance_eth", { account: "operator" })).to.equal(
      undefined,
    );
    expect(await gauge(metrics, "agent_ops_sample_timestamp_seconds")).to.equal(0);
  });

  it("gives the p95 of the recent window only (nearest rank), forgetting what is older than its age", () => {
    let now = 0;
    const window = new LatencyWindow({ capacity: 100, maxAgeMs: 60_000, now: () => now });
    expect(window.summary()).to.deep.equal({ count: 0, p95Seconds: null });
    for (let i = 1; i <= 100; i++) window.record(i / 100);
    expect(window.summary()).to.deep.equal({ count: 100, p95Seconds: 0.95 });
    now = 30_000;
    for (let i = 0; i < 20; i++) window.record(5); // overwrites the 20 oldest (capacity 100)
    expect(window.summary().p95Seconds).to.equal(5);
    now = 61_000; // the first 80 are now older than a minute
    expect(window.summary()).to.deep.equal({ count: 20, p95Seconds: 5 });
  });

  it("reports the pool and the recent p95s against their targets", () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 20; i++) metrics.recent.api.record(0.01);
    metrics.recent.model.record(3);
    const details = healthDetails({
      store: { driver: "postgres", poolStats: () => ({ active: 3, idle: 2, waiting: 1, max: 10 }) },
      metrics,
    })();
    expect(details).to.deep.equal({
      database: { driver: "postgres", pool: { active: 3, idle: 2, waiting: 1, max: 10 } },
      latency: {
        api: { count: 20, p95Seconds: 0.01, targetSeconds: 0.5, withinTarget: true },
        answer: { count: 0, p95Seconds: null, targetSeconds: 4, withinTarget: null },
        model: { count: 1, p95Seconds: 3, targetSeconds: 2, withinTarget: false },
      },
    });
  });

  it("answers GET /health?deep=1 with the checks, the database pool and the latencies", async () => {
    const config = loadConfig({ DATA_DIR: "memory://", LOG_LEVEL: "silent" });
    const agent = await assembleAgent({ config, clock, logger });
    try {
      await request(agent.app).get("/api/nothing-here");
      const res = await request(agent.internalApp).get("/health?deep=1");
      expect(res.status).to.equal(200);
      expect(res.body.checks.store).to.deep.equal({ status: "ok" });
      expect(res.body.database).to.deep.equal({
        driver: "pglite",
        pool: { active: 0, idle: 1, waiting: 0, max: 1 },
      });
      expect(res.body.latency.api.count).to.be.greaterThan(0);
      expect(res.body.latency.api.targetSeconds).to.equal(0.5);
      expect(res.body.latency.model).to.deep.equal({
        count: 0,
        p95Seconds: null,
        targetSeconds: 2,
        withinTarget: null,
      });
      expect((await request(agent.app).get("/health")).body).to.deep.equal({ status: "ok" });
    } finally {
      await agent.close();
    }
  });
});
