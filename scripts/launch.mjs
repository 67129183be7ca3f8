// The front door of `npm start`, `npm test` and `npm run demo`: `node scripts/launch.mjs <command> [args...]`.
// Plain JavaScript that any Node since 18 runs (a newcomer's Debian has Node 20), in three steps:
//  1. Node: when this Node is older than 22.18 (the first Node 22 that runs .ts files unflagged; Hardhat 3
//     needs 22.13), fetch Node 22 once — the `node@22` package from the npm registry into a cache folder, as
//     scripts/node22.sh does for .ci/run — and run this same
//     launcher again under it, with Node 22 first on PATH so that npm and every child run under it too.
//  2. Dependencies: `npm install` (versions from package-lock.json) when node_modules is missing, older than the
//     lock, or lacks Hardhat's native EDR binary (an install made by an older Node's npm skips it).
//  3. The command, with signals passed on and its exit code (128 + signal number when killed) returned.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { constants, homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The oldest Node that runs this project: 22.18 strips TypeScript types by default (`node scripts/start.ts`; 22.13 to
 * 22.17 refuse .ts files), and Hardhat 3 needs 22.13. Keep in step with `engines` in package.json and scripts/node22.sh.
 */
export const MINIMUM_NODE = "22.18.0";
/** Set on the re-run under the fetched Node, so that a fetched Node that is still too old fails instead of looping. */
export const REEXEC_FLAG = "RESOLUTION_AUTOPILOT_NODE22";

/** Compares dotted versions numerically ("22.9.1" < "22.13.0"); a leading "v" is ignored. */
export function compareVersions(a, b) {
  const parse = (v) =>
    String(v)
      .replace(/^v/, "")
      .split(".")
      .map((part) => Number.parseInt(part, 10) || 0);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * What to do about the running Node: `run` (recent enough), `reexec` (too old: fetch Node 22 and run again under
 * it) or `fail` (too old even though this is already the re-run, so fetching did not help).
 */
export function nodeDecision({ version, reexecuted, minimum = MINIMUM_NODE }) {
  if (compareVersions(version, minimum) >= 0) return { action: "run" };
  if (reexecuted) {
    return {
      action: "fail",
      reason: `the Node fetched for this project is ${version}, still older than ${minimum}`,
    };
  }
  return { action: "reexec", reason: `Node ${version} is older than ${minimum}` };
}

/** The cache folder Node 22 is fetched into: the same one scripts/node22.sh uses. */
export function node22Home(env, home = homedir()) {
  if (env.NODE22_HOME) return env.NODE22_HOME;
  return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "node22");
}

/** Why dependencies must be installed, or null when node_modules is in step with the lock. */
export function installReason({ root, requireFrom = createRequire(path.join(root, "package.json")) }) {
  const marker = path.join(root, "node_modules/.package-lock.json");
  if (!existsSync(marker)) return "node_modules is missing";
  if (statSync(marker).mtimeMs < statSync(path.join(root, "package-lock.json")).mtimeMs) {
    return "package-lock.json is newer than node_modules";
  }
  try {
    requireFrom("@nomicfoundation/edr");
  } catch {
    return "Hardhat's native EDR package is missing (installed by an older Node's npm?)";
  }
  return null;
}

/** The exit code a shell reports for a child that ended with `code` or was killed by `signal`. */
export function exitCodeOf(code, signal, signals = constants.signals) {
  if (typeof code === "number") return code;
  return 128 + (signals[signal] ?? 1);
}

function fail(message) {
  console.error(`launch: ${message}`);
  process.exit(1);
}

/** The version the `node` at `file` reports, or null when it does not run. */
function versionOf(file) {
  const run = spawnSync(file, ["-p", "process.versions.node"], {
    encoding: "utf8",
    shell: process.platform === "win32",
  });
  return run.status === 0 ? run.stdout.trim() : null;
}

/**
 * Path of a `node` binary >= MINIMUM_NODE in the cache, fetching the `node@22` package there first if it is missing
 * or older (a cache fetched before MINIMUM_NODE was raised).
 */
function fetchNode22(env) {
  const home = node22Home(env);
  const bin = path.join(home, "node_modules/.bin");
  const node = path.join(bin, process.platform === "win32" ? "node.cmd" : "node");
  const cached = existsSync(node) ? versionOf(node) : null;
  if (cached === null || compareVersions(cached, MINIMUM_NODE) < 0) {
    console.error(
      `launch: Node ${process.versions.node} is too old; fetching Node 22 from the npm registry into ${home} (once)`,
    );
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(
      npm,
      ["install", "--prefix", home, "--no-save", "--no-audit", "--no-fund", "node@22"],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    if (run.status !== 0 || !existsSync(node))
      fail(`could not install node@22 into ${home} (npm exit ${run.status})`);
  }
  return { node, bin };
}

function runForwardingSignals(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    const forward = (signal) => () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const handlers = ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => [signal, forward(signal)]);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    child.on("error", (error) => {
      console.error(`launch: could not run ${command}: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      resolve(exitCodeOf(code, signal));
    });
  });
}

async function main(argv, env) {
  const [command, ...args] = argv;
  if (!command) fail("usage: node scripts/launch.mjs <command> [args...]");
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

  const decision = nodeDecision({ version: process.versions.node, reexecuted: env[REEXEC_FLAG] === "1" });
  if (decision.action === "fail") fail(decision.reason);
  if (decision.action === "reexec") {
    const { node, bin } = fetchNode22(env);
    const pathKey = Object.keys(env).find((key) => key.toUpperCase() === "PATH") ?? "PATH";
    const childEnv = {
      ...env,
      [pathKey]: `${bin}${path.delimiter}${env[pathKey] ?? ""}`,
      [REEXEC_FLAG]: "1",
    };
    return runForwardingSignals(node, [fileURLToPath(import.meta.url), ...argv], childEnv);
  }

  const reason = installReason({ root });
  if (reason) {
    // `npm install` rather than `npm ci`: see .ci/run (the lock holds only this platform's optional binaries).
    console.log(`Installing dependencies (${reason}; npm install, versions from package-lock.json)...`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit", env });
    if (run.status !== 0) return run.status ?? 1;
  }
  return runForwardingSignals(command, args, env);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
