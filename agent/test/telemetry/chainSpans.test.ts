/**
 * The agent's own spans for background runs and transactions, in process: an OpenTelemetry SDK with an
 * in-memory exporter stands in for the collector (no module patching is needed for these spans). A keeper-style
 * loop run is a `keeper.run` span (a failed one records the error, its message scrubbed); a transaction not
 * mined in time is `chain.tx.send`, then `chain.tx.bump` with a second send, inside one `chain.tx.receipt`.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { expect } from "chai";
import { createPollLoop } from "../../src/chain/pollLoop.ts";
import { createTransactionSender, operatorAccount } from "../../src/chain/transactionSender.ts";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";
import { openStore } from "../../src/store/index.ts";
import type { Store } from "../../src/store/store.ts";
import { enableSpans, inSpan } from "../../src/telemetry/spans.ts";
import { eventually, manualSleep } from "../chain/chainTestSupport.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";

describe("spans of background runs and transactions (in-memory exporter)", function () {
  this.timeout(120_000);

  const exporter = new InMemorySpanExporter();
  let sdk: NodeSDK;
  const logger = createLogger({ level: "silent" });

  before(() => {
    sdk = new NodeSDK({
      autoDetectResources: false,
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    sdk.start();
    enableSpans(true);
  });

  after(async () => {
    enableSpans(false);
    await sdk.shutdown();
    // Leave no global provider behind for the suites that run after this one.
    trace.disable();
    context.disable();
    propagation.disable();
  });

  beforeEach(() => exporter.reset());

  const spans = (name: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((span) => span.name === name);

  it("traces each loop run, with what it does inside, and records a failure scrubbed", async () => {
    let runs = 0;
    const loop = createPollLoop({
      name: "keeper",
      intervalMs: 5,
      maxBackoffMs: 5,
      logger,
      run: async () => {
        runs++;
        if (runs === 1) return inSpan("keeper.scan", { found: 0 }, async () => undefined);
        throw new Error("HTTP request failed. URL: https://rpc.example/v2/APIKEY123 Status: 429");
      },
    });
    loop.start();
    while (runs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await loop.stop();
    const [ok, failed] = spans("keeper.run");
    expect(ok?.attributes).to.include({ "loop.name": "keeper", "loop.again": false });
    const scan = spans("keeper.scan")[0];
    expect(scan?.parentSpanContext?.spanId).to.equal(ok?.spanContext().spanId);
    expect(failed?.status.code).to.equal(2);
    const message = String(failed?.events[0]?.attributes?.["exception.message"]);
    expect(message).to.equal("HTTP request failed. URL: https://rpc.example/… Status: 429");
  });

  describe("a transaction not mined in time", () => {
    let chain: HardhatChain;
    let store: Store;
    const clock = new ManualClock(Date.UTC(2026, 11, 5));

    before(async () => {
      chain = await createHardhatChain();
      store = await openStore({ dataDir: "memory://", clock });
    });
    after(async () => {
      await store?.close();
      await chain?.close();
    });

    it("is sent, bumped and sent again, and followed to its receipt, in one trace", async () => {
      const sender = createTransactionSender({
        client: chain.client,
        account: operatorAccount(chain.accounts.operator.privateKey),
        chainId: chain.chainId,
        transactions: store.chainTransactions,
        clock,
        logger,
        sleep: manualSleep(clock),
        pollIntervalMs: 1_000,
        bumpAfterMs: 5_000,
        maxBumps: 2,
        receiptTimeoutMs: 3_600_000,
      });
      const key = {
        chainId: chain.chainId,
        vault: chain.vault,
        kind: "claim" as const,
        commitmentId: 1n,
        milestoneIndex: 0,
      };
      const { record } = await store.chainTransactions.insertIfAbsent({
        ...key,
        fromAddress: chain.accounts.operator.address,
      });
      await chain.setAutomine(false);
      try {
        const outcome = inSpan("test.relay", {}, () =>
          sender.send({
            to: chain.accounts.stranger.address,
            data: "0x",
            value: 1n,
            operation: "transfer",
            rowIds: [record.id],
          }),
        );
        await eventually(
          async () => ((await store.chainTransactions.get(key))?.attempts ?? 0) >= 2,
          "a gas bump",
        );
        await chain.mine(1);
        expect((await outcome).status).to.equal("confirmed");
      } finally {
        await chain.setAutomine(true);
        await sender.close();
      }
      const root = spans("test.relay")[0];
      const traceId = root?.spanContext().traceId;
      const inTrace = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
      const names = inTrace.map((span) => span.name);
      expect(names.filter((name) => name === "chain.tx.send").length).to.be.greaterThanOrEqual(2);
      expect(names).to.include.members(["chain.tx.bump", "chain.tx.receipt"]);
      const bump = spans("chain.tx.bump")[0];
      expect(bump?.attributes).to.include({ "tx.nonce": 0, "tx.bumps": 0, "chain.id": chain.chainId });
      const receipt = spans("chain.tx.receipt")[0];
      expect(receipt?.attributes).to.include({ "tx.status": "confirmed", "tx.nonce": 0 });
      expect(Number(receipt?.attributes["tx.attempts"])).to.be.greaterThanOrEqual(2);
      const sends = spans("chain.tx.send").map((span) => span.attributes["tx.hash"]);
      expect(sends).to.include(receipt?.attributes["tx.hash"]);
    });
  });
});
