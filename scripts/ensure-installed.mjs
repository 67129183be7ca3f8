// Runs before `npm start` and `npm test`: checks the Node version and installs dependencies when
// node_modules is missing or older than package-lock.json. Plain Node only: nothing is installed yet.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `Node ${process.versions.node} is too old: Resolution Autopilot needs Node >= 22.13 (Hardhat 3).\n` +
      "Install it (nvm use, see .nvmrc) or run `. scripts/node22.sh` to fetch it from the npm registry.",
  );
  process.exit(1);
}
const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync("package-lock.json").mtimeMs;
if (stale) {
  // `npm install` rather than `npm ci`: see .ci/run (the lock holds only this platform's optional binaries).
  console.log("Installing dependencies (npm install, versions from package-lock.json)...");
  const run = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
