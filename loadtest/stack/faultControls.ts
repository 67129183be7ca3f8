/**
 * The switches of the load stack's faults (docs/reliability.md, "Faults"): outages through the TCP proxies, a
 * real PostgreSQL restart, a replica's `kill -9` and restart, a reorg, a replica's clock skew.
 */
import type { ManagedReplica } from "./agents.ts";
import type { PrivatePostgres } from "./postgres.ts";
import { sleep } from "./processes.ts";
import { type ReorgResult, reorgChain } from "./reorg.ts";
import type { RpcGate } from "./rpcGate.ts";
import type { TcpProxy } from "./tcpProxy.ts";

export interface FaultControls {
  /** The Redis proxy destroys live connections and resets new ones for `ms`. */
  redisDown(ms: number): Promise<void>;
  /** `pg_ctl restart -m fast` of the private instance: every agent loses its connections. */
  postgresRestart(): Promise<void>;
  /** `kill -9` of replica `index`'s process group; `downMs` later it starts again (same port, env); resolves on /health 200. */
  killReplica(index: number, downMs: number): Promise<void>;
  /** The agents' RPC proxy destroys live connections and resets new ones for `ms` (directRpcUrl stays up). */
  rpcDown(ms: number): Promise<void>;
  /** A reorg `depth` blocks deep (reorg.ts): the same transactions in new blocks. */
  reorg(depth: number): Promise<ReorgResult>;
  /** Restarts replica `index` (graceful) with its clock `ms` ahead (behind when negative); 0 restores it. */
  skewClock(index: number, ms: number): Promise<void>;
}

/** How long the indexers get to read the blocks a reorg is about to replace (they poll every 500 ms). */
const REORG_FOLLOW_MS = 1_500;

export function createFaultControls(p: {
  proxies: Record<"postgres" | "redis" | "rpc", TcpProxy>;
  postgres: PrivatePostgres;
  replicas: readonly ManagedReplica[];
  nodeUrl: string;
  gate: RpcGate;
  log: (line: string) => void;
}): FaultControls {
  const { proxies, postgres, replicas, nodeUrl, gate, log } = p;
  const replicaAt = (index: number) => {
    const replica = replicas[index];
    if (replica === undefined) throw new RangeError(`no replica ${index} (there are ${replicas.length})`);
    return replica;
  };
  const outage = async (proxy: TcpProxy, name: string, ms: number) => {
    log(`fault: ${name} down for ${ms / 1000} s`);
    proxy.setDown(true);
    try {
      await sleep(ms);
    } finally {
      proxy.setDown(false);
      log(`fault: ${name} back`);
    }
  };
  return {
    redisDown: (ms) => outage(proxies.redis, "redis", ms),
    rpcDown: (ms) => outage(proxies.rpc, "the agents' RPC", ms),
    async postgresRestart() {
      log("fault: pg_ctl restart -m fast");
      await postgres.restart();
      log("fault: postgres restarted");
    },
    async killReplica(index, downMs) {
      const replica = replicaAt(index);
      log(`fault: kill -9 ${replica.name} (pid ${replica.pid()}), down ${downMs / 1000} s`);
      await replica.kill();
      await sleep(downMs);
      await replica.start();
      log(`fault: ${replica.name} restarted (pid ${replica.pid()})`);
    },
    reorg: (depth) => {
      log(`fault: reorg ${depth} blocks deep`);
      return reorgChain({ nodeUrl, gate, depth, followMs: REORG_FOLLOW_MS, log });
    },
    async skewClock(index, ms) {
      const replica = replicaAt(index);
      log(`fault: ${replica.name} restarts with its clock ${ms >= 0 ? "+" : ""}${ms} ms`);
      await replica.stop();
      await replica.start(ms);
    },
  };
}
