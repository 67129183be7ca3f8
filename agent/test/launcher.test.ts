/**
 * scripts/launch.mjs, the front door of `npm start`, `npm test` and `npm run demo`: its decisions (pure
 * functions) and one real re-run under a "fetched" Node (a cache folder whose node is this test's own Node, so
 * nothing is downloaded). The full path on a machine with Node 20 is checked by hand (README, "First commands").
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  compareVersions,
  exitCodeOf,
  installReason,
  MINIMUM_NODE,
  node22Home,
  nodeDecision,
  REEXEC_FLAG,
} from "../../scripts/launch.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const LAUNCHER = path.join(ROOT, "scripts/launch.mjs");

describe("scripts/launch.mjs", () => {
  it("compares versions numerically, not as text", () => {
    expect(compareVersions("22.9.0", "22.13.0")).to.equal(-1);
    expect(compareVersions("v22.13.0", "22.13.0")).to.equal(0);
    expect(compareVersions("22.13.1", "22.13.0")).to.equal(1);
    expect(compareVersions("24.0.0", "22.13.0")).to.equal(1);
    expect(compareVersions("20.20.2", "22.13.0")).to.equal(-1);
  });

  it("runs on Node >= 22.18, re-runs under a fetched Node 22 when older, and fails when the fetched one is too old", () => {
    // 22.18 is the first Node 22 that runs .ts files without a flag (type stripping on by default): `npm start`
    // runs `node scripts/start.ts`, which fails with ERR_UNKNOWN_FILE_EXTENSION on 22.13 to 22.17.
    expect(MINIMUM_NODE).to.equal("22.18.0");
    expect(nodeDecision({ version: "22.18.0", reexecuted: false })).to.deep.equal({ action: "run" });
    expect(nodeDecision({ version: "24.1.0", reexecuted: true })).to.deep.equal({ action: "run" });
    expect(nodeDecision({ version: "20.20.2", reexecuted: false })).to.deep.equal({
      action: "reexec",
      reason: "Node 20.20.2 is older than 22.18.0",
    });
    expect(nodeDecision({ version: "22.17.1", reexecuted: false }).action).to.equal("reexec");
    expect(nodeDecision({ version: "22.13.0", reexecuted: false }).action).to.equal("reexec");
    expect(nodeDecision({ version: "22.17.1", reexecuted: true }).action).to.equal("fail");
  });

  it("agrees with package.json's engines and with scripts/node22.sh", () => {
    const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const agent = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")) as {
      engines: { node: string };
    };
    expect(root.engines.node).to.equal(">=22.18");
    expect(agent.engines.node).to.equal(">=22.18");
    expect(readFileSync(path.join(ROOT, "scripts/node22.sh"), "utf8")).to.include("a===22&&b>=18");
  });

  it("fetches into the same cache folder as scripts/node22.sh", () => {
    expect(node22Home({ NODE22_HOME: "/opt/n22" }, "/home/a")).to.equal("/opt/n22");
    expect(node22Home({ XDG_CACHE_HOME: "/var/cache/a" }, "/home/a")).to.equal("/var/cache/a/node22");
    expect(node22Home({}, "/home/a")).to.equal("/home/a/.cache/node22");
  });

  it("installs when node_modules is missing, older than the lock, or lacks Hardhat's native EDR package", () => {
    const root = mkdtempSync(path.join(tmpdir(), "launch-"));
    try {
      writeFileSync(path.join(root, "package-lock.json"), "{}");
      const loads = () => undefined;
      expect(installReason({ root, requireFrom: loads })).to.equal("node_modules is missing");
      mkdirSync(path.join(root, "node_modules"));
      const marker = path.join(root, "node_modules/.package-lock.json");
      writeFileSync(marker, "{}");
      utimesSync(marker, new Date(1_000_000), new Date(1_000_000));
      expect(installReason({ root, requireFrom: loads })).to.equal(
        "package-lock.json is newer than node_modules",
      );
      utimesSync(marker, new Date(), new Date(Date.now() + 60_000));
      expect(installReason({ root, requireFrom: loads })).to.equal(null);
      const missing = () => {
        throw new Error("Cannot find module '@nomicfoundation/edr-linux-x64-gnu'");
      };
      expect(installReason({ root, requireFrom: missing })).to.match(/EDR/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("returns the command's exit code, or 128 + the signal number when it was killed", () => {
    expect(exitCodeOf(0, null)).to.equal(0);
    expect(exitCodeOf(3, null)).to.equal(3);
    expect(exitCodeOf(null, "SIGINT")).to.equal(130);
    expect(exitCodeOf(null, "SIGTERM")).to.equal(143);
    // Every signal, not only the usual four: a core-dumping or user signal is reported as the shell does.
    expect(exitCodeOf(null, "SIGQUIT")).to.equal(131);
    expect(exitCodeOf(null, "SIGABRT")).to.equal(134);
    expect(exitCodeOf(null, "SIGSEGV")).to.equal(139);
  });

  it("re-runs itself under the cached Node with it first on PATH, and passes the exit code back", function () {
    this.timeout(30_000);
    const home = mkdtempSync(path.join(tmpdir(), "node22-"));
    try {
      mkdirSync(path.join(home, "node_modules/.bin"), { recursive: true });
      symlinkSync(process.execPath, path.join(home, "node_modules/.bin/node"));
      // Pretend this Node is old: a preload that overrides process.versions.node, dropped on the re-run.
      const preload = path.join(home, "old.cjs");
      writeFileSync(
        preload,
        `if (process.env.${REEXEC_FLAG} !== "1") Object.defineProperty(process.versions, "node", { value: "20.20.2" });`,
      );
      const probe =
        "console.log(JSON.stringify({ version: process.versions.node, first: process.env.PATH.split(require('node:path').delimiter)[0] })); process.exit(7)";
      // A checkout whose dependencies are in step (so nothing is installed): the launcher, a lock, node_modules.
      const repo = path.join(home, "repo");
      mkdirSync(path.join(repo, "scripts"), { recursive: true });
      copyFileSync(LAUNCHER, path.join(repo, "scripts/launch.mjs"));
      writeFileSync(path.join(repo, "package.json"), "{}");
      writeFileSync(path.join(repo, "package-lock.json"), "{}");
      const edr = path.join(repo, "node_modules/@nomicfoundation/edr");
      mkdirSync(edr, { recursive: true });
      writeFileSync(path.join(edr, "package.json"), '{ "name": "@nomicfoundation/edr", "main": "index.js" }');
      writeFileSync(path.join(edr, "index.js"), "module.exports = {};");
      writeFileSync(path.join(repo, "node_modules/.package-lock.json"), "{}");
      const launcher = path.join(repo, "scripts/launch.mjs");
      const run = spawnSync(process.execPath, ["--require", preload, launcher, "node", "-e", probe], {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, NODE22_HOME: home, NODE_OPTIONS: "" },
      });
      expect(run.status, run.stderr).to.equal(7);
      const seen = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as {
        version: string;
        first: string;
      };
      expect(seen.version).to.equal(process.versions.node);
      expect(seen.first).to.equal(path.join(home, "node_modules/.bin"));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("scripts/node22.sh fetches again too when the cached Node is too old", function () {
    this.timeout(60_000);
    const home = mkdtempSync(path.join(tmpdir(), "node22-"));
    try {
      const preload = path.join(home, "old.cjs");
      writeFileSync(preload, `Object.defineProperty(process.versions, "node", { value: "22.13.0" });`);
      // The machine's node and the cached one both report 22.13.
      for (const dir of ["system", "node_modules/.bin"]) {
        mkdirSync(path.join(home, dir), { recursive: true });
        writeFileSync(
          path.join(home, dir, "node"),
          `#!/bin/sh\nexec "${process.execPath}" --require "${preload}" "$@"\n`,
          { mode: 0o755 },
        );
      }
      const npmDir = path.dirname(process.execPath);
      const run = spawnSync("sh", ["-c", `. "${path.join(ROOT, "scripts/node22.sh")}"`], {
        encoding: "utf8",
        env: {
          PATH: `${path.join(home, "system")}${path.delimiter}${npmDir}${path.delimiter}/usr/bin:/bin`,
          HOME: home,
          NODE22_HOME: home,
          NODE_OPTIONS: "",
          npm_config_offline: "true",
          npm_config_cache: path.join(home, "npm-cache"),
        },
      });
      expect(run.stderr).to.include("could not install node@22");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("fetches Node 22 again when the cached one is too old, instead of failing on it", function () {
    this.timeout(60_000);
    const home = mkdtempSync(path.join(tmpdir(), "node22-"));
    try {
      // A cache from before the floor was raised: its node reports an old version, also on the re-run.
      const preload = path.join(home, "old.cjs");
      writeFileSync(preload, `Object.defineProperty(process.versions, "node", { value: "22.13.0" });`);
      mkdirSync(path.join(home, "node_modules/.bin"), { recursive: true });
      const stale = path.join(home, "node_modules/.bin/node");
      writeFileSync(stale, `#!/bin/sh\nexec "${process.execPath}" --require "${preload}" "$@"\n`, {
        mode: 0o755,
      });
      // npm may not reach the registry here: offline with an empty cache, the refetch fails at once.
      const run = spawnSync(
        process.execPath,
        ["--require", preload, LAUNCHER, "node", "-e", "process.exit(7)"],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            NODE22_HOME: home,
            NODE_OPTIONS: "",
            npm_config_offline: "true",
            npm_config_cache: path.join(home, "npm-cache"),
          },
        },
      );
      expect(run.stderr).to.include("fetching Node 22");
      expect(run.stderr).to.include("could not install node@22");
      expect(run.stderr).not.to.include("still older");
      expect(run.status).to.equal(1);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
