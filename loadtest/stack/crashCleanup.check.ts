/**
 * Self-test (not part of mocha): a load-test runner that dies during the stack's start-up leaves nothing behind.
 *
 *   node loadtest/stack/crashCleanup.check.ts
 *
 * Runs a child runner that starts the stack in a fresh directory and, once the chain, PostgreSQL and Redis are up
 * (at "deploying"), dies of an uncaught exception outside the stack's own error handling; then checks that every
 * process the child had started (its descendants, and PostgreSQL's postmaster, a daemon) is gone and that the
 * stack's temporary directory was removed. Before the stack killed its pieces on `exit`, all of them stayed up.
 * Exit code 0 when nothing was left.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLoadStack } from "./index.ts";

const CHILD = "--child";

/** Every process whose ancestry reaches `root`, and every process whose command line names `path`. */
function processesOf(root: number, path: string): number[] {
  const parents = new Map<number, number>();
  const named: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(path)) named.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...new Set([...[...parents.keys()].filter(descends), ...named])];
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function child(workDir: string): Promise<void> {
  await startLoadStack({
    workDir,
    log: (line) => {
      console.log(line);
      if (!line.startsWith("stack: deploying")) return;
      console.log(`PIDS ${JSON.stringify(processesOf(process.pid, workDir))}`);
      setImmediate(() => {
        throw new Error("the runner crashed during the stack's start-up (deliberately)");
      });
    },
  });
}

async function parent(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), "ra-crash-check-"));
  chmodSync(workDir, 0o711); // PostgreSQL runs as `postgres` when this runs as root, and must traverse it
  const runner = spawn(process.execPath, [import.meta.filename, CHILD, workDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  runner.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const code = await new Promise<number | null>((resolve) => runner.once("exit", (c) => resolve(c)));
  const listed = /^PIDS (.*)$/m.exec(output);
  const pids: number[] = listed?.[1] === undefined ? [] : JSON.parse(listed[1]);
  const deadline = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const left = pids.filter(alive);
  const dirs = readdirSync(workDir);
  const failures = [
    ...(code === 0 ? ["the child runner exited 0: it did not crash"] : []),
    ...(pids.length < 3
      ? [`the child listed ${pids.length} processes (chain, PostgreSQL, Redis expected)`]
      : []),
    ...(left.length > 0 ? [`processes left running: ${left.join(", ")}`] : []),
    ...(dirs.length > 0 ? [`left in ${workDir}: ${dirs.join(", ")}`] : []),
  ];
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(workDir, { recursive: true, force: true });
  console.log(`child exited ${code} after starting ${pids.length} processes`);
  for (const failure of failures) console.log(`FAIL ${failure}`);
  if (failures.length === 0) console.log("ok   nothing left behind by a runner that crashed during start-up");
  return failures.length === 0 ? 0 : 1;
}

if (process.argv[2] === CHILD) await child(process.argv[3] as string);
else process.exit(await parent());
