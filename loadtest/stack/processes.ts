/**
 * Child processes of the load stack: each started in its own process group (so one signal reaches the `npx`
 * wrapper and what it started), its last lines kept for a failure report; and the resident memory of a process
 * tree, read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";

export interface Daemon {
  name: string;
  child: ChildProcess;
  running(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  recentLog(): string[];
}

export function startDaemon(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; keepLines?: number; logFile?: string },
): Daemon {
  const keep = options.keepLines ?? 400;
  const lines: string[] = [];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
    }
    if (lines.length > keep) lines.splice(0, lines.length - keep);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  if (options.logFile !== undefined) {
    // Every line, appended (a restarted process continues the same file), for a post-mortem.
    const file = createWriteStream(options.logFile, { flags: "a" });
    child.stdout?.pipe(file, { end: false });
    child.stderr?.pipe(file, { end: false });
    child.once("exit", (code, signal) => file.end(`[${name} exited: code ${code} signal ${signal}]\n`));
  }
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      lines.push(`${name}: ${error.message}`);
      resolve();
    });
  });
  return {
    name,
    child,
    running: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    exited,
    recentLog: () => [...lines],
  };
}

/** Sends `signal` to the daemon's process group; nothing when it is not running. */
export function signalGroup(daemon: Daemon, signal: NodeJS.Signals): void {
  if (!daemon.running() || daemon.child.pid === undefined) return;
  try {
    process.kill(-daemon.child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL to the process group led by `pid`, at once and synchronously (what a process's `exit` handler can do). */
export function killGroupNow(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopDaemon(daemon: Daemon, graceMs = 5_000): Promise<void> {
  if (!daemon.running()) return;
  signalGroup(daemon, "SIGTERM");
  const timer = setTimeout(() => signalGroup(daemon, "SIGKILL"), graceMs);
  await daemon.exited;
  clearTimeout(timer);
  // Grandchildren that ignored SIGTERM (npx's node) go with the group.
  if (daemon.child.pid !== undefined) {
    try {
      process.kill(-daemon.child.pid, "SIGKILL");
    } catch {
      // the group is empty
    }
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  rssPages: number;
}

function readProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ")".
      const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
      stats.push({ pid: Number(entry), ppid: Number(fields[1]), rssPages: Number(fields[21]) });
    } catch {
      // exited while we looked
    }
  }
  return stats;
}

const PAGE_SIZE = 4096;

/** Resident bytes of each root's process tree (the root and every descendant), from one /proc scan. */
export function treeRss(roots: Record<string, number | undefined>): Record<string, number> {
  const stats = readProcStats();
  const children = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const s of stats) {
    byPid.set(s.pid, s);
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const result: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !byPid.has(root)) continue;
    let pages = 0;
    const queue = [root];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      pages += byPid.get(pid)?.rssPages ?? 0;
      for (const child of children.get(pid) ?? []) queue.push(child.pid);
    }
    result[name] = pages * PAGE_SIZE;
  }
  return result;
}

/** Polls `check` every `everyMs` until it answers true; throws after `timeoutMs` (naming `what`). */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
