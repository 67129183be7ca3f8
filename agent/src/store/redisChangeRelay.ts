/**
 * Relays store changes between agent replicas over Redis pub/sub, so a workout stored through one replica
 * forgets the cached views of every replica at once rather than after their cache's TTL. Each replica publishes
 * its own changes on `<prefix>store-changes` and applies the others' (its own echo is skipped by origin id).
 *
 * Best effort by design: a change published while Redis is away is lost (the client does not queue), and the
 * caches' TTL bounds how long a replica can show the older view. Messages are validated with the store's own
 * schemas (addresses and hashes arrive lower-case); a malformed one is counted in the logs and ignored.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Logger } from "../logger.ts";
import type { StoreChange, StoreChanges } from "./storeChanges.ts";
import { addressSchema, bytes32Schema } from "./values.ts";

const changeSchema: z.ZodType<StoreChange> = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("workouts"), owner: addressSchema }),
  z.strictObject({
    kind: z.literal("commitment"),
    commitmentId: z.string().regex(/^(0|[1-9]\d{0,77})$/),
    owner: addressSchema.nullable(),
  }),
  z.strictObject({ kind: z.literal("rulesDocument"), rulesHash: bytes32Schema }),
]);

/** How long Redis may take to confirm a subscription before the relay reconnects to try again. */
const SUBSCRIBE_TIMEOUT_MS = 5_000;
/** After Redis refuses the subscription: the first retry, doubling up to the cap. */
const SUBSCRIBE_RETRY_MS = 1_000;
const SUBSCRIBE_RETRY_MAX_MS = 60_000;

const messageSchema = z.strictObject({ origin: z.string().min(1).max(64), change: changeSchema });

export interface RedisChangeRelayParameters {
  /** The replica's client: publishes go through it; a duplicate of it subscribes. */
  redis: Redis;
  keyPrefix: string;
  /** This replica's store changes, published to the others. */
  changes: StoreChanges;
  /** Where the other replicas' changes are applied. */
  apply: (change: StoreChange) => void;
  logger: Logger;
}

export interface RedisChangeRelay {
  /** Resolves once subscribed (or when the subscription could not be made within `timeoutMs`: false). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function redisChangeRelay({
  redis,
  keyPrefix,
  changes,
  apply,
  logger,
}: RedisChangeRelayParameters): RedisChangeRelay {
  const channel = `${keyPrefix}store-changes`;
  const origin = randomUUID();
  // A subscribed connection can do nothing else, so the relay has its own, which (like the main client) does not
  // queue commands while away. It subscribes each time it is ready, the first time and after every reconnect, and
  // ioredis's own resubscription is off: that one's promise is never handled, so a SUBSCRIBE that failed (the
  // connection dropped again, or Redis stalled) was an unhandled rejection that ended the process. A subscription
  // that fails on a live connection reconnects it, to subscribe again.
  const subscriber = redis.duplicate({ autoResubscribe: false, commandTimeout: SUBSCRIBE_TIMEOUT_MS });
  subscriber.on("error", () => {
    // The main client already logs an outage once; this connection retries alongside it.
  });
  let markSubscribed: (value: boolean) => void = () => {};
  const subscribed = new Promise<boolean>((resolve) => {
    markSubscribed = resolve;
  });
  let closed = false;
  // A refusal by Redis itself (an ACL without the channel, a proxy without pub/sub) will not change by
  // reconnecting: it is retried on a growing timer and logged once per streak. A timeout or a lost connection
  // reconnects, to subscribe again on the fresh connection.
  let refusals = 0;
  let retry: NodeJS.Timeout | undefined;
  const subscribe = () => {
    retry = undefined;
    if (closed || subscriber.status !== "ready") return;
    subscriber.subscribe(channel).then(
      () => {
        refusals = 0;
        markSubscribed(true);
      },
      (error: unknown) => {
        const refused = error instanceof Error && error.name === "ReplyError";
        if (!refused || refusals === 0) {
          logger.warn(
            { err: error, channel },
            "store change relay: subscribing failed; caches rely on their TTL until it is retried",
          );
        }
        if (closed || subscriber.status !== "ready") return;
        if (!refused) {
          subscriber.disconnect(true);
          return;
        }
        refusals += 1;
        retry = setTimeout(
          subscribe,
          Math.min(SUBSCRIBE_RETRY_MS * 2 ** (refusals - 1), SUBSCRIBE_RETRY_MAX_MS),
        );
        retry.unref();
      },
    );
  };
  subscriber.on("ready", () => {
    clearTimeout(retry);
    subscribe();
  });
  let malformed = 0;
  subscriber.on("message", (from: string, raw: string) => {
    if (from !== channel) return;
    let parsed: z.infer<typeof messageSchema> | undefined;
    try {
      parsed = messageSchema.parse(JSON.parse(raw));
    } catch {
      malformed += 1;
      if (malformed === 1 || malformed % 1000 === 0) {
        logger.warn({ channel, malformed }, "store change relay: ignored a malformed message");
      }
      return;
    }
    if (parsed.origin !== origin) apply(parsed.change);
  });

  let publishFailing = false;
  const unsubscribe = changes.subscribe((change) => {
    redis.publish(channel, JSON.stringify({ origin, change })).then(
      () => {
        publishFailing = false;
      },
      (error: unknown) => {
        if (publishFailing) return;
        publishFailing = true;
        logger.warn(
          { err: error, channel },
          "store change relay: publishing failed; other replicas rely on TTL",
        );
      },
    );
  });

  return {
    ready: (timeoutMs) =>
      Promise.race([
        subscribed,
        new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref()),
      ]),
    close: async () => {
      closed = true;
      clearTimeout(retry);
      unsubscribe();
      subscriber.disconnect();
    },
  };
}
