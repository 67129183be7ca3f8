/**
 * A private PostgreSQL for the load test: `initdb` into a temporary directory, `pg_ctl start` on a free port
 * (trust auth, fsync off: the data is thrown away), never the machine's shared instance. As root (initdb refuses
 * to run as root) the binaries run as the `postgres` user through `runuser`.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../scripts/lib/localChain.ts";

const run = promisify(execFile);

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:PORT/loadtest */
  url: string;
  /** The postmaster's pid (changes after a restart). */
  pid(): number | undefined;
  /** `pg_ctl restart -m fast`: every session is terminated, the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m immediate`, then the directory is removed. Safe to call twice. */
  close(): Promise<void>;
}

export function findBinary(name: string): string {
  const candidates = [
    "/usr/local/bin",
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
  ];
  for (const dir of candidates) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export async function startPrivatePostgres(workDir = tmpdir()): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(workDir, "ra-loadtest-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "postgres.log");
  if (userInfo().uid === 0) {
    const postgres = await run("id", ["-u", "postgres"]);
    const group = await run("id", ["-g", "postgres"]);
    chownSync(root, Number(postgres.stdout.trim()), Number(group.stdout.trim()));
  }
  const port = await freePort();
  const pgCtl = findBinary("pg_ctl");
  const exec = (command: string, args: string[]) => {
    const [c, a] = asPostgresUser(command, args);
    return run(c, a, { maxBuffer: 4 * 1024 * 1024 });
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (existsSync(join(dataDir, "postmaster.pid"))) {
      await exec(pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]).catch(() => {});
    }
    const pid = readPid(dataDir);
    if (pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // stopped
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await exec(findBinary("initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const options = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${root}`,
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=200",
    ].join(" ");
    await exec(pgCtl, ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", options]);
    await exec(findBinary("createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "loadtest"]);
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2_000) : "";
    await close();
    throw new Error(`the private PostgreSQL did not start: ${(error as Error).message}\n${log}`);
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/loadtest`,
    pid: () => readPid(dataDir),
    async restart() {
      await exec(pgCtl, ["restart", "-D", dataDir, "-m", "fast", "-l", logFile, "-w", "-t", "60"]);
    },
    close,
  };
}

function readPid(dataDir: string): number | undefined {
  try {
    const first = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
