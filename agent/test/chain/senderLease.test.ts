/**
 * The operator account's send lease across replicas (`senderLease.ts`): fair turns. In the 10,000-user run one
 * replica's queue of background claims took the lease back to back and the other replica's user claim waited 10 s
 * for it (503 `sender_busy`). An in-memory lease table with real time, as the store or Redis lock keeps it.
 */
import { expect } from "chai";
import { createSenderLease } from "../../src/chain/senderLease.ts";
import { DependencyError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { memoryLocks } from "./chainTestSupport.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = createLogger({ level: "silent" });
const OPERATOR = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

describe("chain: the operator account's send lease", () => {
  it("a replica sending back to back lets the other in: its one send waits about a fair share, not 10 s", async () => {
    const [a, b] = memoryLocks();
    const busyReplica = createSenderLease({ lock: a, chainId: 31337, address: OPERATOR, log, sleep });
    const otherReplica = createSenderLease({
      lock: b,
      chainId: 31337,
      address: OPERATOR,
      log,
      sleep,
      waitMs: 2_500,
    });
    // Replica 1: a queue of background claims, one send after the other (each 20 ms under the lease), for 4 s.
    let stop = false;
    let sends = 0;
    const queue = (async () => {
      while (!stop) {
        await busyReplica.run(async () => {
          sends += 1;
          await sleep(20);
        });
      }
    })();
    await sleep(200);
    // Replica 2: one user's claim.
    const started = Date.now();
    const outcome = await otherReplica
      .run(async () => "sent")
      .catch((error: unknown) => (error instanceof DependencyError ? error.code : "other error"));
    const waitedMs = Date.now() - started;
    await sleep(1_500);
    stop = true;
    await queue;
    // Before fair turns: "sender_busy" after 2.5 s (the holder took the lease again within a millisecond).
    expect(outcome).to.equal("sent");
    expect(waitedMs).to.be.below(2_500);
    // The busy replica still sent most of the time.
    expect(sends).to.be.above(40);
  });

  it("past its fair share it yields once before its next send, and never polls for a lease no one else holds", async () => {
    const [a] = memoryLocks();
    const naps: number[] = [];
    const lease = createSenderLease({
      lock: a,
      chainId: 31337,
      address: OPERATOR,
      log,
      sleep: async (ms) => {
        naps.push(ms);
      },
      fairShareMs: 0,
    });
    const first = await lease.run(async () => 1);
    const second = await lease.run(async () => 2);
    expect([first, second]).to.deep.equal([1, 2]);
    // A zero fair share: the second send yields first (300 ms); no poll for the lease (10, 20, ... ms naps).
    expect(naps).to.deep.equal([300]);
  });
});
