/**
 * The journeys run.ts runs after the main one (run.ts: connect → create → upload → claim → slash → appeal →
 * exit), in this order. Each gets the shared stack (and may start a stack of its own when it needs another
 * deployment, e.g. three oracles) and a browser; it opens its own browser context and uses its own Hardhat
 * accounts, so journeys do not depend on each other's state. Add a journey: write journeys/<name>.ts exporting
 * a `Journey`, then add it to this list.
 */
import type { Browser } from "playwright-core";
import type { Stack } from "../stack.ts";
import { identityJourney } from "./identity.ts";
import { poolJourney } from "./pool.ts";
import { beneficiaryJourney } from "./beneficiary.ts";
import { quorumJourney } from "./quorum.ts";

export interface Journey {
  /** Printed as a heading before its steps. */
  name: string;
  run(stack: Stack, browser: Browser): Promise<void>;
}

export const journeys: Journey[] = [beneficiaryJourney, poolJourney, identityJourney, quorumJourney];
