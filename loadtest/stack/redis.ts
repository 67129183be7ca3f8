/**
 * A private Redis for the load test: `redis-server` on a free port with no persistence, its working directory a
 * temporary one; never the machine's shared instance.
 */
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/lib/localChain.ts";
import { type Daemon, startDaemon, stopDaemon, waitUntil } from "./processes.ts";

export interface PrivateRedis {
  port: number;
  url: string;
  daemon: Daemon;
  close(): Promise<void>;
}

/** True when Redis answers PING on port. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export async function startPrivateRedis(workDir = tmpdir()): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(workDir, "ra-loadtest-redis-"));
  const port = await freePort();
  const daemon = startDaemon(
    "redis",
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { cwd: dir, env: process.env },
  );
  const close = async () => {
    await stopDaemon(daemon);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      "redis-server did not answer PING",
      async () => daemon.running() && (await pings(port)),
      15_000,
    );
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${daemon.recentLog().slice(-20).join("\n")}`);
  }
  return { port, url: `redis://127.0.0.1:${port}`, daemon, close };
}
