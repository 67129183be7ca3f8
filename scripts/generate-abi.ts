/**
 * Regenerates deployments/abi.ts from the compiled artifacts (`npm run abi`), or with --check fails when the
 * committed module is out of date (part of `npm test`, so an ABI change cannot ship without it).
 */
import { readFileSync } from "node:fs";
import { generateAbiModule } from "./lib/writeDeployment.ts";

const target = "deployments/abi.ts";
const before = readFileSync(target, "utf8");
await generateAbiModule(process.cwd());
const after = readFileSync(target, "utf8");
if (process.argv.includes("--check") && before !== after) {
  console.error(`${target} was out of date with the compiled contracts; it has been regenerated: commit it.`);
  process.exit(1);
}
console.log(`${target} ${before === after ? "is up to date" : "regenerated"}`);
