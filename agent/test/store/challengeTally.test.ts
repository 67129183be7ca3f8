/**
 * `challenges.tally` and `challenges.listByParticipant` (what the coach reads about a challenge pool) on every store
 * driver: one aggregate query classifies each participant from the pool's status and their vault commitment.
 */
import { expect } from "chai";
import type { Address } from "viem";
import { ManualClock } from "../../src/clock.ts";
import type { ChallengeParticipantStatus, MilestoneState } from "../../src/store/schema.ts";
import type { Store } from "../../src/store/store.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "./storeDrivers.ts";

const CHAIN_ID = 31337;
const VAULT = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const POOL = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9";
const RULES_HASH = `0x${"ab".repeat(32)}`;
const address = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

for (const driver of storeDrivers) {
  describe(`store: challenge tally (${driver.name})`, () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    let opened: OpenedTestStore | undefined;
    let store: Store;
    let nextCommitment = 100n;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, `challenge tally (${driver.name})`);
      store = opened.store;
    });
    after(async () => opened?.cleanup());

    async function seat(
      challengeId: bigint,
      who: Address,
      status: ChallengeParticipantStatus,
      states: MilestoneState[] | null,
    ) {
      const commitmentId = nextCommitment++;
      if (states !== null) {
        await store.commitments.upsert({
          chainId: CHAIN_ID,
          vault: VAULT,
          commitmentId,
          owner: who,
          token: "0x0000000000000000000000000000000000000000",
          amount: 3n,
          start: 1_000,
          period: 100,
          milestones: states.length,
          grace: 10,
          beneficiary: POOL,
          rulesHash: RULES_HASH,
          closed: false,
          milestoneStates: states,
          updatedBlock: 1,
        });
      }
      await store.challenges.upsertParticipant({
        chainId: CHAIN_ID,
        pool: POOL,
        challengeId,
        participant: who,
        commitmentId,
        status,
        winnings: 0n,
        updatedBlock: 1,
      });
    }

    it("counts on track, behind, finished and out in one query, and the unsettled slashed shares", async () => {
      // Two windows ended.
      await seat(1n, address(1), "joined", ["Released", "Released", "Open"]); // on track
      await seat(1n, address(2), "joined", ["Released", "Open", "Open"]); // behind
      await seat(1n, address(3), "joined", ["Slashed", "Released", "Open"]); // out, 1 share
      await seat(1n, address(4), "joined", ["Released", "Slashed", "Slashed"]); // out, 1 share + the last
      await seat(1n, address(5), "joined", ["Refunded", "Open", "Open"]); // out, nothing to the pot
      await seat(1n, address(6), "finished", ["Released", "Released", "Released"]);
      await seat(1n, address(7), "claimed", ["Released", "Released", "Released"]);
      await seat(1n, address(8), "out", ["Slashed", "Slashed", "Slashed"]); // settled: already in the pot
      await seat(1n, address(9), "joined", null); // the vault indexer has not seen it yet
      await seat(2n, address(1), "joined", ["Open", "Open", "Open"]); // another challenge: not counted

      const tally = await store.challenges.tally({
        chainId: CHAIN_ID,
        pool: POOL,
        challengeId: 1n,
        vault: VAULT,
        endedMilestones: 2,
      });
      expect(tally).to.deep.equal({
        participants: 9,
        onTrack: 2,
        behind: 1,
        finished: 2,
        out: 4,
        unsettledSlashed: 2,
        unsettledSlashedLast: 1,
      });
      // Before any window ended, nobody is behind.
      const early = await store.challenges.tally({
        chainId: CHAIN_ID,
        pool: POOL,
        challengeId: 1n,
        vault: VAULT,
        endedMilestones: 0,
      });
      expect(early).to.include({ onTrack: 3, behind: 0, out: 4 });
      // Another vault's commitments are not this pool's.
      const elsewhere = await store.challenges.tally({
        chainId: CHAIN_ID,
        pool: POOL,
        challengeId: 1n,
        vault: address(99),
        endedMilestones: 2,
      });
      expect(elsewhere).to.include({ participants: 9, out: 1, finished: 2, onTrack: 6, unsettledSlashed: 0 });
    });

    it("lists the challenges one address joined, by challenge id, and nothing for a solo beneficiary", async () => {
      const rows = await store.challenges.listByParticipant({
        chainId: CHAIN_ID,
        pool: POOL,
        participant: address(1),
        limit: 10,
      });
      expect(rows.map((r) => r.challengeId)).to.deep.equal([1n, 2n]);
      const none = await store.challenges.listByParticipant({
        chainId: CHAIN_ID,
        pool: address(77),
        participant: address(1),
        limit: 10,
      });
      expect(none).to.deep.equal([]);
    });
  });
}
