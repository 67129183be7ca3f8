import { expect } from "chai";
import { sql } from "drizzle-orm";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import { createChallengeIndexer } from "../../src/chain/challengeIndexer.ts";
import { createChallengeSettler } from "../../src/chain/challengeSettler.ts";
import { createIndexer } from "../../src/chain/indexer.ts";
import { createStoreLock } from "../../src/chain/storeLock.ts";
import {
  createTransactionSender,
  operatorAccount,
  type TransactionSender,
} from "../../src/chain/transactionSender.ts";
import { createVaultReader } from "../../src/chain/vaultReader.ts";
import { ManualClock } from "../../src/clock.ts";
import type { Store } from "../../src/store/store.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, pgliteDriver } from "../store/storeDrivers.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";
import { resetChainTables } from "./chainTestSupport.ts";
import { deployPool, type PoolDriver, STAKE } from "./challengeSupport.ts";

describe("chain: the keeper settles challenge participants", () => {
  const clock = new ManualClock(START);
  const { logger } = collectLogs("debug");
  let chain: HardhatChain;
  let pool: PoolDriver;
  let opened: OpenedTestStore | undefined;
  let store: Store;
  let sender: TransactionSender;

  before(async function () {
    opened = await openOrSkip(this, pgliteDriver, clock, "challenge settler");
    store = opened.store;
    chain = await createHardhatChain();
    pool = await deployPool(chain);
  });

  after(async () => {
    await sender?.close();
    if (opened !== undefined) {
      await resetChainTables(opened.database);
      for (const table of ["challenge_participants_cache", "challenges_cache"]) {
        await opened.database.db.execute(sql.raw(`delete from ${table}`));
      }
    }
    await opened?.cleanup();
    await chain?.close();
  });

  /** Brings both caches up to the chain's head. */
  async function index() {
    await createIndexer({
      client: chain.client,
      reader: createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault }),
      store,
      logger,
      chainId: chain.chainId,
      vault: chain.vault,
      deploymentBlock: chain.deploymentBlock,
      confirmations: 0,
    }).runOnce();
    await createChallengeIndexer({
      client: chain.client,
      store,
      logger,
      chainId: chain.chainId,
      pool: pool.pool,
      deploymentBlock: pool.deploymentBlock,
      confirmations: 0,
    }).runOnce();
  }

  const status = (challengeId: bigint, participant: `0x${string}`) =>
    chain.client.readContract({
      address: pool.pool,
      abi: challengePoolAbi,
      functionName: "statusOf",
      args: [challengeId, participant],
    });

  it("settles each participant once their milestones are settled, never twice, so the finisher can claim", async () => {
    const { alice, bob, stranger } = chain.accounts;
    sender = createTransactionSender({
      client: chain.client,
      account: operatorAccount(chain.accounts.operator.privateKey),
      chainId: chain.chainId,
      transactions: store.chainTransactions,
      clock,
      logger,
      pollIntervalMs: 1,
    });
    const settler = createChallengeSettler({
      chainId: chain.chainId,
      vault: chain.vault,
      pool: pool.pool,
      sender,
      store,
      lock: createStoreLock({ locks: store.locks }),
      logger,
    });
    const id = await pool.create();
    await pool.join(id, alice);
    await pool.join(id, bob);
    await index();
    expect(await settler.runOnce()).to.include({ due: 0, settled: 0 });

    await chain.increaseTime(121);
    await chain.claim({
      commitmentId: await pool.commitmentOf(id, alice.address),
      milestoneIndex: 0,
      validUntil: (await chain.latestTimestamp()) + 600,
      from: alice,
    });
    await index();
    // Alice's only milestone is released: she is settled; bob's is still open.
    const first = await settler.runOnce();
    expect(first).to.include({ due: 1, settled: 1, unconfirmed: 0 });
    expect(await status(id, alice.address)).to.equal(3); // Finished

    await chain.increaseTime(3_600 + 600);
    await chain.slash(await pool.commitmentOf(id, bob.address), 0, stranger);
    await index();
    // A crash between inserting bob's row and signing: later runs leave it alone until it is resumed.
    const bobKey = {
      chainId: chain.chainId,
      vault: pool.pool,
      kind: "settle" as const,
      commitmentId: await pool.commitmentOf(id, bob.address),
      milestoneIndex: 0,
    };
    await store.chainTransactions.insertIfAbsent({ ...bobKey, fromAddress: sender.address });
    const stuck = await settler.runOnce();
    expect(stuck).to.include({ due: 1, settled: 0 });
    expect(stuck.dropped.map((d) => d.reason)).to.deep.equal(["taken"]);
    expect(await settler.resumePending()).to.include({ checked: 1, failed: 1 });
    expect((await store.chainTransactions.get(bobKey))?.status).to.equal("failed");
    const second = await settler.runOnce();
    expect(second).to.include({ due: 1, settled: 1 });
    expect(await status(id, bob.address)).to.equal(2); // Out

    await index();
    expect(await settler.runOnce()).to.include({ due: 0, settled: 0 });
    await pool.claimWinnings(id, alice);
    const row = await store.challenges.get({ chainId: chain.chainId, pool: pool.pool, challengeId: id });
    expect(row).to.include({ settled: 2, finishers: 1, pot: STAKE });
  });
});
