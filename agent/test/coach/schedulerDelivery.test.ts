/**
 * The scheduler pass's deliveries (review of issue 18's batched pass): `maxDurationMs` bounds slow deliveries
 * too (the nudges not sent are released for a later pass, the pass is truncated); in-app nudges are recorded
 * before slow channels deliver, and each slow outcome right after its delivery; an outcome whose nudge is gone
 * is an error; the nudges a failing commitment did deliver are counted.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { createInAppChannel } from "../../src/coach/channels/inAppChannel.ts";
import type { NudgeChannel } from "../../src/coach/channels/nudgeChannel.ts";
import { runCoachPass } from "../../src/coach/scheduler/runCoachPass.ts";
import type { NudgeRecord } from "../../src/store/nudgesRepository.ts";
import type { Store } from "../../src/store/store.ts";
import {
  type CoachTestContext,
  DAY,
  HOUR,
  openCoachTest,
  randomOwner,
  seedCommitment,
  WEEK_START,
} from "./coachFixtures.ts";

/** Wed 09:00 Berlin: every open commitment is behind. */
const NOW = WEEK_START + 2 * DAY + 9 * HOUR;
const SLOW_MS = 60_000;

async function open(webhook: NudgeChannel, owners: readonly string[]): Promise<CoachTestContext> {
  const t = await openCoachTest({ inApp: createInAppChannel(), webhook });
  t.clock.set(NOW - 2 * HOUR);
  let id = 9_000n;
  for (const owner of owners) {
    await t.store.coachPreferences.put({
      owner,
      timezone: "Europe/Berlin",
      quietStartMin: 22 * 60,
      quietEndMin: 7 * 60,
      channels: ["inApp", "webhook"],
      dailyCap: 3,
      email: null,
      webhookUrl: "https://hooks.example.com/x",
    });
    id += 1n;
    await seedCommitment(t.store, { owner, id });
  }
  t.clock.set(NOW);
  return t;
}

async function nudgesOf(store: Store, owners: readonly string[]): Promise<NudgeRecord[]> {
  const rows: NudgeRecord[] = [];
  for (const owner of owners) rows.push(...(await store.nudges.listByOwner(owner)));
  return rows;
}

describe("coach scheduler pass: deliveries within the time budget", () => {
  const contexts: CoachTestContext[] = [];
  after(async () => {
    for (const t of contexts) await t.store.close();
  });

  it("stops slow deliveries at maxDurationMs, releases the rest, and a later pass sends them", async function () {
    this.timeout(120_000);
    const owners = Array.from({ length: 6 }, () => randomOwner());
    let now = 0;
    let calls = 0;
    const slowWebhook: NudgeChannel = {
      kind: "webhook",
      unavailableReason: () => null,
      deliver: async () => {
        calls += 1;
        now += SLOW_MS; // an unreachable endpoint: each delivery costs a minute
        return { ok: true, attempts: 1 };
      },
    };
    const t = await open(slowWebhook, owners);
    contexts.push(t);
    const pass = await runCoachPass(t.deps, { maxDurationMs: 2.5 * SLOW_MS, elapsed: () => now });
    expect(pass.truncated).to.equal(true);
    expect(calls).to.equal(3);
    expect(pass.nudges.delivered).to.equal(6 + 3); // every in-app nudge of the group, three webhooks
    expect(pass.errors).to.equal(0);
    expect(pass.commitments).to.equal(3); // the three whose nudges were all sent
    expect(pass.outcomes.intervened).to.equal(3);
    const stored = await nudgesOf(t.store, owners);
    expect(stored.filter((n) => n.status === "pending")).to.deep.equal([]);
    expect(stored.filter((n) => n.channel === "webhook")).to.have.length(3);
    // A later pass with time left sends the rest, once.
    const again = await runCoachPass(t.deps, { elapsed: () => now });
    expect(again.truncated).to.equal(false);
    expect(again.nudges).to.deep.equal({ delivered: 3, failed: 0, duplicate: 9, suppressed: 0 });
    expect(calls).to.equal(6);
    const after = await nudgesOf(t.store, owners);
    expect(after).to.have.length(12);
    expect(after.every((n) => n.status === "delivered")).to.equal(true);
  });

  it("records in-app nudges before slow channels deliver, and each slow outcome right after it", async function () {
    this.timeout(120_000);
    const owners = Array.from({ length: 4 }, () => randomOwner());
    const seen: string[][] = [];
    let store: Store | undefined;
    const watchingWebhook: NudgeChannel = {
      kind: "webhook",
      unavailableReason: () => null,
      deliver: async () => {
        const rows = await nudgesOf(store as Store, owners);
        seen.push(rows.filter((n) => n.status === "pending").map((n) => n.channel));
        expect(rows.filter((n) => n.channel === "inApp" && n.status === "delivered")).to.have.length(4);
        return { ok: true, attempts: 1 };
      },
    };
    const t = await open(watchingWebhook, owners);
    contexts.push(t);
    store = t.store;
    const pass = await runCoachPass(t.deps);
    expect(pass.errors).to.equal(0);
    expect(pass.nudges.delivered).to.equal(8);
    // The webhooks of the group wait reserved; each one is recorded before the next is delivered.
    expect(seen.map((pending) => pending.length)).to.deep.equal([4, 3, 2, 1]);
    expect(seen.flat().every((channel) => channel === "webhook")).to.equal(true);
  });

  it("counts the delivered nudges of a commitment whose other nudge failed", async function () {
    this.timeout(120_000);
    const owner = randomOwner();
    const brokenWebhook: NudgeChannel = {
      kind: "webhook",
      unavailableReason: () => {
        throw new Error("webhook configuration unreadable");
      },
      deliver: async () => ({ ok: true, attempts: 1 }),
    };
    const t = await open(brokenWebhook, [owner]);
    contexts.push(t);
    const pass = await runCoachPass(t.deps);
    expect(pass.errors).to.equal(1);
    expect(pass.nudges).to.deep.equal({ delivered: 1, failed: 0, duplicate: 0, suppressed: 0 });
    const stored = await t.store.nudges.listByOwner(owner);
    expect(stored.map((n) => [n.channel, n.status])).to.deep.equal([["inApp", "delivered"]]);
  });

  it("setNudgeOutcomes throws when a nudge is gone, after recording the others", async function () {
    this.timeout(120_000);
    const t = await openCoachTest();
    contexts.push(t);
    const owner = randomOwner();
    const kept = await t.store.nudges.reserve({
      owner,
      channel: "inApp",
      dedupeKey: "nudge:kept",
      reason: "coach",
      message: "still here",
      status: "pending",
      dueAt: new Date(t.clock.now()),
    });
    const gone = randomUUID();
    const outcome = { status: "delivered" as const, attempts: 1, lastError: null };
    let error: unknown;
    try {
      await t.store.coachPass.setNudgeOutcomes([
        { id: (kept as NudgeRecord).id, outcome },
        { id: gone, outcome },
      ]);
    } catch (caught) {
      error = caught;
    }
    // The store's database-error wrapper, as for `nudges.setOutcome`; the cause names the nudge.
    expect(error).to.be.instanceOf(Error);
    expect(String((error as Error).cause ?? error)).to.contain(`nudge ${gone} vanished`);
    expect((await t.store.nudges.listByOwner(owner))[0]?.status).to.equal("delivered");
  });
});
