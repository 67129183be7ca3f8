import { expect } from "chai";
import { sql } from "drizzle-orm";
import { type ChallengeIndexer, createChallengeIndexer } from "../../src/chain/challengeIndexer.ts";
import { ManualClock } from "../../src/clock.ts";
import type { Store } from "../../src/store/store.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";
import { deployPool, type PoolDriver, playChallenge, STAKE } from "./challengeSupport.ts";

for (const driver of storeDrivers) {
  const suiteTitle = `chain: challenge indexer on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    const { logger } = collectLogs("debug");
    let chain: HardhatChain;
    let pool: PoolDriver;
    let baseline: `0x${string}`;
    let opened: OpenedTestStore | undefined;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, suiteTitle);
      store = opened.store;
      chain = await createHardhatChain();
      pool = await deployPool(chain);
    });

    after(async () => {
      await opened?.cleanup();
      await chain?.close();
    });

    beforeEach(async () => {
      baseline = await chain.snapshot();
    });

    afterEach(async () => {
      if (opened !== undefined) {
        for (const table of ["challenge_participants_cache", "challenges_cache", "indexer_cursor"]) {
          await opened.database.db.execute(sql.raw(`delete from ${table}`));
        }
      }
      await chain.revert(baseline);
    });

    const indexer = (maxBlockRange?: number): ChallengeIndexer =>
      createChallengeIndexer({
        client: chain.client,
        store,
        logger,
        chainId: chain.chainId,
        pool: pool.pool,
        deploymentBlock: pool.deploymentBlock,
        confirmations: 0,
        ...(maxBlockRange !== undefined ? { maxBlockRange } : {}),
      });

    const participants = async (challengeId: bigint) =>
      (
        await store.challenges.listParticipants({
          chainId: chain.chainId,
          pool: pool.pool,
          challengeId,
          limit: 10,
        })
      )
        .map((row) => ({ participant: row.participant, status: row.status, winnings: row.winnings }))
        .sort((a, b) => a.participant.localeCompare(b.participant));

    it("follows creation, joins, settlement and claimed winnings into the cache", async () => {
      const { alice, bob, stranger } = chain.accounts;
      const id = await pool.create();
      await pool.join(id, alice);
      const first = await indexer().runOnce();
      expect(first).to.include({ reorg: false, caughtUp: true, removed: 0 });
      const joined = await store.challenges.get({ chainId: chain.chainId, pool: pool.pool, challengeId: id });
      expect(joined).to.include({
        creator: stranger.address,
        stake: STAKE,
        milestones: 1,
        participants: 1,
        settled: 0,
        finishers: 0,
        pot: 0n,
        feeBps: 500,
      });
      expect(await participants(id)).to.deep.equal([
        { participant: alice.address, status: "joined", winnings: 0n },
      ]);
      const aliceRow = await store.challenges.getParticipant({
        chainId: chain.chainId,
        pool: pool.pool,
        challengeId: id,
        participant: alice.address,
      });
      expect(aliceRow?.commitmentId).to.equal(await pool.commitmentOf(id, alice.address));

      // bob joins, misses; alice finishes and claims. Indexed in one-block ranges: the creator is kept.
      await pool.join(id, bob);
      await chain.increaseTime(121);
      await chain.claim({
        commitmentId: await pool.commitmentOf(id, alice.address),
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: alice,
      });
      await chain.increaseTime(3_600 + 600);
      await chain.slash(await pool.commitmentOf(id, bob.address), 0, stranger);
      await pool.settle(id, alice.address);
      await pool.settle(id, bob.address);
      await pool.claimWinnings(id, alice);
      const small = indexer(1);
      for (let run = 0; run < 20 && !(await small.runOnce()).caughtUp; run++);
      const closed = await store.challenges.get({ chainId: chain.chainId, pool: pool.pool, challengeId: id });
      expect(closed).to.include({
        creator: stranger.address,
        participants: 2,
        settled: 2,
        finishers: 1,
        pot: STAKE,
      });
      const expected = [
        // winningsOf is what is still to claim: nothing once claimed.
        { participant: alice.address, status: "claimed", winnings: 0n },
        { participant: bob.address, status: "out", winnings: 0n },
      ].sort((a, b) => a.participant.localeCompare(b.participant));
      expect(await participants(id)).to.deep.equal(expected);
      const cursor = await store.indexerCursor.get({ chainId: chain.chainId, vault: pool.pool });
      expect(cursor?.blockNumber).to.equal(await chain.blockNumber());
    });

    it("after a reorg, the cache forgets what the chain lost and keeps what it still has", async () => {
      const { alice, bob } = chain.accounts;
      const id = await pool.create();
      await pool.join(id, alice);
      const beforeBob = await chain.snapshot();
      await pool.join(id, bob);
      await indexer().runOnce();
      expect(await participants(id)).to.have.length(2);

      await chain.revert(beforeBob);
      await chain.mine(3); // a different chain, longer than the old one
      const result = await indexer().runOnce();
      expect(result).to.include({ reorg: true, caughtUp: true });
      expect(await participants(id)).to.deep.equal([
        { participant: alice.address, status: "joined", winnings: 0n },
      ]);
      const row = await store.challenges.get({ chainId: chain.chainId, pool: pool.pool, challengeId: id });
      expect(row).to.include({ participants: 1, creator: chain.accounts.stranger.address });
    });

    it("a played-out challenge indexes the same in one pass", async () => {
      const id = await playChallenge(chain, pool);
      await indexer().runOnce();
      const row = await store.challenges.get({ chainId: chain.chainId, pool: pool.pool, challengeId: id });
      expect(row).to.include({ participants: 2, settled: 2, finishers: 1, pot: STAKE });
    });
  });
}
