/**
 * Registers a rules document with the agent before anything goes on chain, and refuses to go on when the agent's
 * `rulesHash` differs from the one this browser computed (the chain would commit to rules nobody can recompute).
 */
import type { Hex } from "viem";
import { type RulesDocument, rulesHashOf } from "../rules/rulesHash.ts";
import { registerRules } from "./agentClient.ts";

/** The rules hash, the same in the browser and at the agent. */
export async function registerRulesChecked(rules: RulesDocument): Promise<Hex> {
  const local = rulesHashOf(rules);
  const remote = await registerRules(rules);
  if (remote.rulesHash !== local.rulesHash) {
    throw new Error(
      `The agent computed a different rules hash (${remote.rulesHash}) than this browser (${local.rulesHash}). Nothing was sent.`,
    );
  }
  return local.rulesHash;
}
