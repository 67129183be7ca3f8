/**
 * The load test's faults on a schedule (issue 17): one after the other, `startAfterMs` after the call and
 * `spacingMs` between the end of one window and the start of the next. Each fault's declared outage window runs
 * from its start until every replica's deep health (/health?deep=1) has answered green again; the time from the
 * end of the fault itself to that moment is its recovery time, a finding of the run.
 */
import { type AgentReplica, deepHealth, type LoadStack } from "../stack/index.ts";

export type FaultName = "redis" | "postgres" | "replica" | "rpc" | "reorg" | "skew";
export const ALL_FAULTS: readonly FaultName[] = ["redis", "postgres", "replica", "rpc", "reorg", "skew"];

export interface FaultDurations {
  /** Redis unreachable (issue: 20 s). */
  redisMs: number;
  /** The agents' RPC unreachable (issue: 30 s). */
  rpcMs: number;
  /** How long the killed replica stays down before it is started again. */
  replicaDownMs: number;
  /** Which replica is killed, and which runs skewed (0-based; default the last). */
  replicaIndex?: number;
  /** Blocks replaced by the reorg. */
  reorgDepth: number;
  /** The skewed replica's clock offset (issue: 2 s) and how long it runs skewed before it is restored. */
  skewMs: number;
  skewHoldMs: number;
  /** Longest wait for deep health after a fault; past it the window closes and `done` rejects. */
  recoveryTimeoutMs: number;
}

export const DEFAULT_DURATIONS: FaultDurations = {
  redisMs: 20_000,
  rpcMs: 30_000,
  replicaDownMs: 3_000,
  reorgDepth: 3,
  skewMs: 2_000,
  skewHoldMs: 20_000,
  recoveryTimeoutMs: 60_000,
};

export interface FaultWindow {
  fault: string;
  /** Epoch ms: the fault began. */
  startMs: number;
  /** Epoch ms: every replica is healthy again (or the recovery timeout passed). */
  endMs: number;
  /** From the end of the fault's action (the dependency back) to every replica green; undefined if never. */
  recoveryMs?: number;
  /** What happened (e.g. the reorg's blocks). */
  detail?: string;
}

export interface RunFaultScheduleOptions {
  faults: readonly FaultName[];
  startAfterMs: number;
  spacingMs: number;
  log?: (line: string) => void;
  durations?: Partial<FaultDurations>;
}

export interface FaultSchedule {
  /** Resolves when every fault ran and the stack recovered; rejects naming the faults it did not recover from. */
  done: Promise<void>;
  /** The windows so far (a fault under way has endMs = its planned end). */
  windows(): FaultWindow[];
}

/** How long one fault's action lasts, without recovery. */
function actionMs(fault: FaultName, d: FaultDurations): number {
  switch (fault) {
    case "redis":
      return d.redisMs;
    case "rpc":
      return d.rpcMs;
    case "replica":
      return d.replicaDownMs + 10_000;
    case "postgres":
      return 3_000;
    case "reorg":
      return 4_000;
    case "skew":
      return d.skewHoldMs + 20_000;
  }
}

/** A planning figure: the schedule's length when every replica recovers within 5 s of each fault. */
export function plannedDurationMs(
  faults: readonly FaultName[],
  startAfterMs: number,
  spacingMs: number,
  durations: Partial<FaultDurations> = {},
): number {
  const d = { ...DEFAULT_DURATIONS, ...durations };
  return faults.reduce((sum, f, i) => sum + actionMs(f, d) + 5_000 + (i > 0 ? spacingMs : 0), startAfterMs);
}

/**
 * Waits until every replica's deep health has answered green at least once since the fault ended (not
 * necessarily at the same instant: under a heavy load a probe can time out now and then, which is not an outage);
 * else answers the failing checks of the replicas never seen green.
 */
async function waitForRecovery(stack: LoadStack, timeoutMs: number): Promise<true | string> {
  const deadline = Date.now() + timeoutMs;
  const seenGreen = new Set<number>();
  const lastRed = new Map<number, string>();
  while (Date.now() < deadline) {
    const waiting = stack.agents.map((_, i) => i).filter((i) => !seenGreen.has(i));
    const answers = await Promise.all(
      waiting.map(async (i) => ({ i, health: await deepHealth(stack.agents[i] as AgentReplica) })),
    );
    for (const { i, health } of answers) {
      if (health.ok) seenGreen.add(i);
      else lastRed.set(i, `${stack.agents[i]?.name}: ${health.failing.join(", ")}`);
    }
    if (seenGreen.size === stack.agents.length) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return stack.agents
    .map((_, i) => i)
    .filter((i) => !seenGreen.has(i))
    .map((i) => lastRed.get(i) ?? `${stack.agents[i]?.name}: no answer`)
    .join("; ");
}

async function runFault(stack: LoadStack, fault: FaultName, d: FaultDurations): Promise<string | undefined> {
  const replica = d.replicaIndex ?? stack.agents.length - 1;
  switch (fault) {
    case "redis":
      await stack.faults.redisDown(d.redisMs);
      return undefined;
    case "rpc":
      await stack.faults.rpcDown(d.rpcMs);
      return undefined;
    case "postgres":
      await stack.faults.postgresRestart();
      return undefined;
    case "replica":
      await stack.faults.killReplica(replica, d.replicaDownMs);
      return `${stack.agents[replica]?.name} killed, down ${d.replicaDownMs / 1000} s`;
    case "reorg": {
      const r = await stack.faults.reorg(d.reorgDepth);
      return `blocks ${r.base + 1}..${r.oldHead.number} replaced by ${r.base + 1}..${r.newHead.number}, ${r.replayed} calls replayed, ${r.replayErrors.length} refused`;
    }
    case "skew":
      await stack.faults.skewClock(replica, d.skewMs);
      await new Promise((resolve) => setTimeout(resolve, d.skewHoldMs));
      await stack.faults.skewClock(replica, 0);
      return `${stack.agents[replica]?.name} ran ${d.skewMs} ms ahead for ${d.skewHoldMs / 1000} s`;
  }
}

export function runFaultSchedule(stack: LoadStack, options: RunFaultScheduleOptions): FaultSchedule {
  const d: FaultDurations = { ...DEFAULT_DURATIONS, ...options.durations };
  const log = options.log ?? (() => {});
  const windows: FaultWindow[] = [];
  let current: { fault: FaultName; startMs: number } | undefined;

  const done = (async () => {
    const unrecovered: string[] = [];
    await new Promise((resolve) => setTimeout(resolve, options.startAfterMs));
    for (const [i, fault] of options.faults.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, options.spacingMs));
      const startMs = Date.now();
      current = { fault, startMs };
      let detail: string | undefined;
      let failure: string | undefined;
      try {
        detail = await runFault(stack, fault, d);
      } catch (error) {
        failure = `${fault}: ${(error as Error).message}`;
      }
      const actionEnd = Date.now();
      const recovery = await waitForRecovery(stack, d.recoveryTimeoutMs);
      const recovered = recovery === true;
      const endMs = Date.now();
      const window: FaultWindow = {
        fault,
        startMs,
        endMs,
        ...(recovered ? { recoveryMs: endMs - actionEnd } : {}),
        ...(detail === undefined ? {} : { detail }),
      };
      windows.push(window);
      current = undefined;
      const seconds = (ms: number) => (ms / 1000).toFixed(1);
      log(
        `fault ${fault}: ${seconds(actionEnd - startMs)} s, ${
          recovered
            ? `recovers in ${seconds(endMs - actionEnd)} s`
            : `NOT recovered after ${seconds(d.recoveryTimeoutMs)} s: ${recovery}`
        }${detail === undefined ? "" : ` (${detail})`}`,
      );
      if (failure !== undefined) unrecovered.push(failure);
      else if (!recovered)
        unrecovered.push(
          `${fault}: not healthy ${seconds(d.recoveryTimeoutMs)} s after the fault (${recovery})`,
        );
    }
    if (unrecovered.length > 0)
      throw new Error(`faults the stack did not recover from: ${unrecovered.join("; ")}`);
  })();
  // The caller awaits `done` when it wants; an early rejection must not crash the process meanwhile.
  done.catch(() => {});

  return {
    done,
    windows: () => [
      ...windows,
      ...(current === undefined
        ? []
        : [
            {
              fault: current.fault,
              startMs: current.startMs,
              endMs: current.startMs + actionMs(current.fault, d),
            },
          ]),
    ],
  };
}
