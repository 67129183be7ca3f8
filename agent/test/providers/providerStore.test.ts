/**
 * The provider repositories (accounts with their tokens, single-use OAuth states) on both drivers: PGlite in
 * memory and PostgreSQL in a fresh schema (skipped with a message when unreachable, failing under CI=true).
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { getAddress } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { type AgentError, ConflictError, ValidationError } from "../../src/errors.ts";
import type { Store } from "../../src/store/store.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";

const START = new Date("2026-11-23T07:00:00Z");
const MINUTE = 60_000;

function randomAddress(): `0x${string}` {
  return `0x${randomBytes(20).toString("hex")}`;
}

function randomAthlete(): string {
  return String(100_000 + randomBytes(3).readUIntBE(0, 3));
}

function randomState(): string {
  return randomBytes(32).toString("base64url");
}

async function rejectionOf(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    return error as AgentError;
  }
  expect.fail("expected a rejection");
}

for (const driver of storeDrivers) {
  describe(`provider repositories on ${driver.name}`, () => {
    const clock = new ManualClock(START);
    let opened: OpenedTestStore;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, this.test?.parent?.title ?? driver.name);
      store = opened.store;
    });

    after(async () => {
      await opened?.cleanup();
    });

    beforeEach(() => {
      clock.set(START);
    });

    const link = (owner: string, athleteId: string, tokens = { access: "at_1", refresh: "rt_1" }) =>
      store.providerAccounts.link({
        provider: "strava",
        athleteId,
        owner,
        accessToken: tokens.access,
        refreshToken: tokens.refresh,
        expiresAt: new Date(START.getTime() + 360 * MINUTE),
        scope: "read,activity:read_all",
      });

    describe("OAuth states", () => {
      it("issues a state bound to an owner and consumes it exactly once", async () => {
        const owner = randomAddress();
        const state = randomState();
        const issued = await store.providerOauthStates.issue({
          state,
          provider: "strava",
          owner,
          ttlMs: 10 * MINUTE,
        });
        expect(issued).to.deep.equal({
          state,
          provider: "strava",
          owner: getAddress(owner),
          createdAt: START,
          expiresAt: new Date(START.getTime() + 10 * MINUTE),
        });
        const consumed = await Promise.all([
          store.providerOauthStates.consume({ state, provider: "strava" }),
          store.providerOauthStates.consume({ state, provider: "strava" }),
        ]);
        expect(consumed.filter((record) => record !== null)).to.have.length(1);
        expect(await store.providerOauthStates.consume({ state, provider: "strava" })).to.equal(null);
      });

      it("refuses an expired state (and burns it), another provider's, and garbage", async () => {
        const owner = randomAddress();
        const expired = randomState();
        await store.providerOauthStates.issue({ state: expired, provider: "strava", owner, ttlMs: MINUTE });
        clock.advance(MINUTE);
        expect(await store.providerOauthStates.consume({ state: expired, provider: "strava" })).to.equal(
          null,
        );
        clock.set(START);
        expect(await store.providerOauthStates.consume({ state: expired, provider: "strava" })).to.equal(
          null,
        );

        const other = randomState();
        await store.providerOauthStates.issue({ state: other, provider: "strava", owner, ttlMs: MINUTE });
        expect(await store.providerOauthStates.consume({ state: other, provider: "garmin" })).to.equal(null);
        expect(await store.providerOauthStates.consume({ state: other, provider: "strava" })).to.not.equal(
          null,
        );
        expect(
          await store.providerOauthStates.consume({ state: "x'; drop table", provider: "strava" }),
        ).to.equal(null);
      });

      it("validates input and purges expired states in bounded batches", async () => {
        const error = await rejectionOf(
          store.providerOauthStates.issue({
            state: "short",
            provider: "strava",
            owner: randomAddress(),
            ttlMs: 1,
          }),
        );
        expect(error).to.be.instanceOf(ValidationError);
        expect(error.code).to.equal("invalid_store_input");
        const owner = randomAddress();
        for (let i = 0; i < 3; i += 1) {
          await store.providerOauthStates.issue({
            state: randomState(),
            provider: "strava",
            owner,
            ttlMs: MINUTE,
          });
        }
        clock.advance(2 * MINUTE);
        const purged = await store.providerOauthStates.purgeExpired({ limit: 2 });
        expect(purged).to.equal(2);
        expect(await store.providerOauthStates.purgeExpired()).to.be.at.least(1);
        expect(await store.providerOauthStates.purgeExpired()).to.equal(0);
      });
    });

    describe("accounts", () => {
      it("links an athlete to a wallet and keeps tokens out of serialisation", async () => {
        const owner = randomAddress();
        const athleteId = randomAthlete();
        const account = await link(owner, athleteId, {
          access: "at_secret_value",
          refresh: "rt_secret_value",
        });
        expect(account.owner).to.equal(getAddress(owner));
        expect(account.athleteId).to.equal(athleteId);
        expect(account.accessToken.reveal()).to.equal("at_secret_value");
        expect(account.refreshToken.reveal()).to.equal("rt_secret_value");
        expect(account.scope).to.equal("read,activity:read_all");
        expect(account.syncedUntil).to.equal(null);
        expect(account.revokedAt).to.equal(null);
        expect(account.createdAt).to.deep.equal(START);
        expect(JSON.stringify(account)).not.to.include("secret_value");
        expect(await store.providerAccounts.getByOwner({ provider: "strava", owner })).to.deep.equal(account);
        expect(await store.providerAccounts.getByAthlete({ provider: "strava", athleteId })).to.deep.equal(
          account,
        );
      });

      it("re-linking the same athlete to the same wallet refreshes tokens and keeps the sync position", async () => {
        const owner = randomAddress();
        const athleteId = randomAthlete();
        await link(owner, athleteId);
        await store.providerAccounts.advanceSyncedUntil({
          provider: "strava",
          athleteId,
          syncedUntil: START,
        });
        await store.providerAccounts.markRevoked({ provider: "strava", athleteId });
        clock.advance(MINUTE);
        const again = await link(owner, athleteId, { access: "at_2", refresh: "rt_2" });
        expect(again.accessToken.reveal()).to.equal("at_2");
        expect(again.revokedAt).to.equal(null);
        expect(again.syncedUntil).to.deep.equal(START);
        expect(again.createdAt).to.deep.equal(START);
        expect(again.updatedAt).to.deep.equal(new Date(START.getTime() + MINUTE));
      });

      it("refuses an athlete linked to another wallet, and a wallet linked to another active athlete", async () => {
        const owner = randomAddress();
        const athleteId = randomAthlete();
        await link(owner, athleteId);
        const taken = await rejectionOf(
          link(randomAddress(), athleteId, { access: "at_leak", refresh: "rt_leak" }),
        );
        expect(taken).to.be.instanceOf(ConflictError);
        expect(taken.code).to.equal("provider_athlete_linked");
        expect(JSON.stringify(taken.details)).not.to.include("leak");
        const busy = await rejectionOf(link(owner, randomAthlete()));
        expect(busy).to.be.instanceOf(ConflictError);
        expect(busy.code).to.equal("provider_owner_linked");
        // A revoked link of the wallet is replaced by the new athlete.
        await store.providerAccounts.markRevoked({ provider: "strava", athleteId });
        const replacement = randomAthlete();
        const replaced = await link(owner, replacement);
        expect(replaced.athleteId).to.equal(replacement);
        expect(await store.providerAccounts.getByAthlete({ provider: "strava", athleteId })).to.equal(null);
      });

      it("one of two concurrent links of the same athlete from two wallets wins", async () => {
        const athleteId = randomAthlete();
        const results = await Promise.allSettled([
          link(randomAddress(), athleteId),
          link(randomAddress(), athleteId),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).to.have.length(1);
        const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        expect((failed.reason as AgentError).code).to.equal("provider_athlete_linked");
      });

      it("stores refreshed tokens of active accounts only", async () => {
        const athleteId = randomAthlete();
        await link(randomAddress(), athleteId);
        const expiresAt = new Date(START.getTime() + 720 * MINUTE);
        const updated = await store.providerAccounts.updateTokens({
          provider: "strava",
          athleteId,
          accessToken: "at_new",
          refreshToken: "rt_new",
          expiresAt,
        });
        expect(updated?.accessToken.reveal()).to.equal("at_new");
        expect(updated?.expiresAt).to.deep.equal(expiresAt);
        expect(await store.providerAccounts.markRevoked({ provider: "strava", athleteId })).to.equal(true);
        expect(await store.providerAccounts.markRevoked({ provider: "strava", athleteId })).to.equal(false);
        const revoked = await store.providerAccounts.getByAthlete({ provider: "strava", athleteId });
        expect(revoked?.accessToken.reveal()).to.equal("");
        expect(revoked?.refreshToken.reveal()).to.equal("");
        expect(revoked?.revokedAt).to.deep.equal(START);
        expect(
          await store.providerAccounts.updateTokens({
            provider: "strava",
            athleteId,
            accessToken: "at_late",
            refreshToken: "rt_late",
            expiresAt,
          }),
        ).to.equal(null);
      });

      it("removes a wallet's link", async () => {
        const owner = randomAddress();
        const athleteId = randomAthlete();
        await link(owner, athleteId);
        const removed = await store.providerAccounts.remove({ provider: "strava", owner });
        expect(removed?.athleteId).to.equal(athleteId);
        expect(await store.providerAccounts.remove({ provider: "strava", owner })).to.equal(null);
        expect(await store.providerAccounts.getByAthlete({ provider: "strava", athleteId })).to.equal(null);
      });

      it("lists active accounts by athlete id in bounded pages", async () => {
        const all = await store.providerAccounts.listActive({ provider: "strava", limit: 500 });
        const ids = all.map((a) => a.athleteId);
        expect(ids).to.deep.equal([...ids].sort());
        expect(all.every((a) => a.revokedAt === null)).to.equal(true);
        const first = await store.providerAccounts.listActive({ provider: "strava", limit: 2 });
        expect(first.map((a) => a.athleteId)).to.deep.equal(ids.slice(0, 2));
        const next = await store.providerAccounts.listActive({
          provider: "strava",
          afterAthleteId: first.at(-1)?.athleteId,
          limit: 2,
        });
        expect(next.map((a) => a.athleteId)).to.deep.equal(ids.slice(2, 4));
      });

      it("moves synced_until forward only", async () => {
        const athleteId = randomAthlete();
        await link(randomAddress(), athleteId);
        const later = new Date(START.getTime() + 60 * MINUTE);
        expect(
          await store.providerAccounts.advanceSyncedUntil({
            provider: "strava",
            athleteId,
            syncedUntil: later,
          }),
        ).to.equal(true);
        await store.providerAccounts.advanceSyncedUntil({
          provider: "strava",
          athleteId,
          syncedUntil: START,
        });
        const account = await store.providerAccounts.getByAthlete({ provider: "strava", athleteId });
        expect(account?.syncedUntil).to.deep.equal(later);
        expect(
          await store.providerAccounts.advanceSyncedUntil({
            provider: "strava",
            athleteId: "0",
            syncedUntil: later,
          }),
        ).to.equal(false);
      });

      it("tells which provider activities are already stored for a wallet", async () => {
        const owner = randomAddress();
        const other = randomAddress();
        const workout = (who: string, providerActivityId: string, provider = "strava") => ({
          owner: who,
          source: "provider" as const,
          contentHash: `0x${randomBytes(32).toString("hex")}`,
          sport: "run",
          startTime: START,
          endTime: new Date(START.getTime() + 30 * MINUTE),
          durationSec: 1800,
          elapsedSec: 1800,
          verdict: { status: "rejected" as const, reasons: [] },
          provider,
          providerActivityId,
        });
        await store.workouts.insert(workout(owner, "11"));
        await store.workouts.insert(workout(other, "12"));
        await store.workouts.insert(workout(owner, "13", "garmin"));
        const stored = await store.providerAccounts.storedActivityIds({
          provider: "strava",
          owner,
          activityIds: ["11", "12", "13", "14"],
        });
        expect([...stored]).to.deep.equal(["11"]);
        expect(
          (await store.providerAccounts.storedActivityIds({ provider: "strava", owner, activityIds: [] }))
            .size,
        ).to.equal(0);
        const tooMany = await rejectionOf(
          store.providerAccounts.storedActivityIds({
            provider: "strava",
            owner,
            activityIds: Array.from({ length: 501 }, (_, i) => String(i)),
          }),
        );
        expect(tooMany.code).to.equal("invalid_store_input");
      });

      it("rejects invalid input without echoing tokens", async () => {
        const error = await rejectionOf(
          store.providerAccounts.link({
            provider: "strava",
            athleteId: "1",
            owner: "not-an-address",
            accessToken: "at_must_not_leak",
            refreshToken: "x".repeat(5000),
            expiresAt: START,
          }),
        );
        expect(error).to.be.instanceOf(ValidationError);
        expect(error.code).to.equal("invalid_store_input");
        const fields = (error.details.issues as { path: string }[]).map((issue) => issue.path);
        expect(fields).to.include.members(["owner", "refreshToken"]);
        expect(JSON.stringify(error.details)).not.to.include("at_must_not_leak");
        expect(JSON.stringify(error.details)).not.to.include("xxxxx");
      });
    });
  });
}
