/**
 * The scheduler pass sends a page's nudges in batches (issue 18): it must decide exactly what evaluating each
 * commitment on its own (one deployNudge per nudge, in id order) decides — daily caps counted across the
 * owner's commitments and channels, nudges already sent, quiet hours, failed deliveries — also when the batch's
 * transaction fails and the nudges go out one at a time.
 */
import { expect } from "chai";
import { createInAppChannel } from "../../src/coach/channels/inAppChannel.ts";
import type { NudgeChannel } from "../../src/coach/channels/nudgeChannel.ts";
import { evaluateCommitment } from "../../src/coach/interventions/evaluateCommitment.ts";
import { type RunCoachPassReturnType, runCoachPass } from "../../src/coach/scheduler/runCoachPass.ts";
import type { Store } from "../../src/store/store.ts";
import {
  CHAIN_ID,
  type CoachTestContext,
  DAY,
  HOUR,
  openCoachTest,
  randomOwner,
  seedCommitment,
  VAULT,
  WEEK_START,
} from "./coachFixtures.ts";

function failingWebhook(): NudgeChannel {
  return {
    kind: "webhook",
    unavailableReason: () => null,
    deliver: async () => ({ ok: false, attempts: 4, error: "webhook answered 500" }),
  };
}

/** Wed 09:00 Berlin: a third of the first week gone, nothing done: every open commitment is behind. */
const NOW = WEEK_START + 2 * DAY + 9 * HOUR;
const capped = randomOwner(); // three commitments, cap 2, in-app + a failing webhook
const alreadySent = randomOwner(); // its intervention is already stored
const quiet = randomOwner(); // midnight in Los Angeles
const usedCap = randomOwner(); // cap 1, already used today by another intervention
const plain = randomOwner(); // defaults
const owners = [capped, alreadySent, quiet, usedCap, plain];

async function seed(store: Store): Promise<void> {
  const prefs = (owner: string, overrides: Record<string, unknown>) =>
    store.coachPreferences.put({
      owner,
      timezone: "Europe/Berlin",
      quietStartMin: 22 * 60,
      quietEndMin: 7 * 60,
      channels: ["inApp"],
      dailyCap: 2,
      email: null,
      webhookUrl: null,
      ...overrides,
    });
  await prefs(capped, { channels: ["inApp", "webhook"], webhookUrl: "https://hooks.example.com/x" });
  await prefs(quiet, { timezone: "America/Los_Angeles" });
  await prefs(usedCap, { dailyCap: 1 });
  let id = 8_000n;
  for (const owner of [capped, capped, alreadySent, quiet, usedCap, plain, capped]) {
    id += 1n;
    await seedCommitment(store, { owner, id });
  }
  await store.nudges.reserve({
    owner: alreadySent,
    channel: "inApp",
    dedupeKey: `coach:${CHAIN_ID}:${VAULT.toLowerCase()}:8003:0:plan`,
    reason: "behind_pace",
    message: "sent by an earlier pass",
    status: "pending",
    dueAt: new Date(NOW - HOUR),
  });
  await store.nudges.reserve({
    owner: usedCap,
    channel: "inApp",
    dedupeKey: "nudge:earlier-today",
    reason: "coach",
    message: "sent this morning",
    status: "pending",
    dueAt: new Date(NOW - HOUR),
  });
}

async function open(): Promise<CoachTestContext> {
  const t = await openCoachTest({ inApp: createInAppChannel(), webhook: failingWebhook() });
  t.clock.set(NOW - 2 * HOUR);
  await seed(t.store);
  t.clock.set(NOW);
  return t;
}

/** Every owner's nudges, comparable across stores. */
async function nudgesOf(store: Store): Promise<string[]> {
  const rows: string[] = [];
  for (const owner of owners) {
    for (const n of await store.nudges.listByOwner(owner)) {
      rows.push(
        JSON.stringify([
          owner,
          n.channel,
          n.dedupeKey,
          n.status,
          n.attempts,
          n.lastError,
          n.message,
          +n.createdAt,
        ]),
      );
    }
  }
  return rows.sort();
}

/** The same commitments evaluated one by one, as the pass did before it batched. */
async function oneByOne(t: CoachTestContext): Promise<Pick<RunCoachPassReturnType, "outcomes" | "nudges">> {
  const result: Pick<RunCoachPassReturnType, "outcomes" | "nudges"> = {
    outcomes: { no_window: 0, unknown_rules: 0, settled: 0, met: 0, on_track: 0, intervened: 0 },
    nudges: { delivered: 0, failed: 0, duplicate: 0, suppressed: 0 },
  };
  const commitments = await t.store.activeCommitments.list({
    chainId: CHAIN_ID,
    vault: VAULT,
    at: Math.floor(NOW / 1000),
  });
  for (const commitment of commitments) {
    const evaluation = await evaluateCommitment(t.deps, { commitment });
    result.outcomes[evaluation.outcome] += 1;
    for (const nudge of evaluation.nudges) result.nudges[nudge.status] += 1;
  }
  return result;
}

describe("coach scheduler pass: batched nudges decide what one-by-one nudges decide", () => {
  const contexts: CoachTestContext[] = [];
  after(async () => {
    for (const t of contexts) await t.store.close();
  });

  it("the same outcomes, statuses and stored nudges as evaluating each commitment alone", async function () {
    this.timeout(120_000);
    const [batched, alone] = [await open(), await open()];
    contexts.push(batched, alone);
    const pass = await runCoachPass(batched.deps);
    const expected = await oneByOne(alone);
    expect(pass.errors).to.equal(0);
    expect({ outcomes: pass.outcomes, nudges: pass.nudges }).to.deep.equal(expected);
    // Pinned: capped's third commitment hits the cap on both channels; one duplicate; one quiet; one capped.
    expect(pass.nudges).to.deep.equal({ delivered: 3, failed: 2, duplicate: 1, suppressed: 4 });
    expect(await nudgesOf(batched.store)).to.deep.equal(await nudgesOf(alone.store));
    // A second pass finds everything sent or still suppressed, in both.
    const again = await runCoachPass(batched.deps);
    expect(again.nudges).to.deep.equal((await oneByOne(alone)).nudges);
  });

  it("sends the nudges one at a time when the batch's transaction fails, to the same effect", async function () {
    this.timeout(120_000);
    const [batched, alone] = [await open(), await open()];
    contexts.push(batched, alone);
    let failures = 0;
    const store: Store = {
      ...batched.store,
      transaction: (work) =>
        batched.store.transaction((tx) =>
          work({
            ...tx,
            coachPass: {
              ...tx.coachPass,
              reserveNudges: async () => {
                failures += 1;
                throw new Error("connection lost");
              },
            },
          }),
        ),
    };
    const pass = await runCoachPass({ ...batched.deps, store });
    expect(failures).to.be.greaterThan(0);
    expect(pass.errors).to.equal(0);
    expect({ outcomes: pass.outcomes, nudges: pass.nudges }).to.deep.equal(await oneByOne(alone));
    expect(await nudgesOf(batched.store)).to.deep.equal(await nudgesOf(alone.store));
  });
});
