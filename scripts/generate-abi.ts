/**
 * Regenerates deployments/abi.ts and the vocabulary's contract constants
 * (packages/vocabulary/src/generated/contractConstants.ts) from the compiled artifacts (`npm run abi`), or with
 * --check fails when a committed module is out of date (part of `npm test`, so an ABI or constant change cannot
 * ship without them).
 */
import { readFileSync } from "node:fs";
import { generateContractConstants } from "./lib/generateVocabulary.ts";
import { generateAbiModule } from "./lib/writeDeployment.ts";

const targets = ["deployments/abi.ts", "packages/vocabulary/src/generated/contractConstants.ts"];
const read = (target: string) => {
  try {
    return readFileSync(target, "utf8");
  } catch {
    return undefined;
  }
};
const before = targets.map(read);
await generateAbiModule(process.cwd());
await generateContractConstants(process.cwd());
const stale = targets.filter((target, i) => read(target) !== before[i]);
if (process.argv.includes("--check") && stale.length > 0) {
  console.error(`${stale.join(", ")} out of date with the compiled contracts; regenerated: commit.`);
  process.exit(1);
}
for (const target of targets)
  console.log(`${target} ${stale.includes(target) ? "regenerated" : "is up to date"}`);
