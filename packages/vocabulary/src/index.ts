/**
 * The domain vocabulary shared by the contract, the agent, the web app and the scripts (see README.md). Contract
 * numbers and state names come from src/generated/, written from the compiled contracts by `npm run abi`.
 */
export * from "./chains.ts";
export * from "./commitmentTerms.ts";
export * from "./contractLimits.ts";
export * from "./eip2612Permit.ts";
export * from "./generated/contractConstants.ts";
export * from "./milestoneAttestation.ts";
export * from "./milestoneShare.ts";
export * from "./milestoneState.ts";
export * from "./reasonCodes.ts";
export * from "./rulesDocument.ts";
export * from "./sports.ts";
