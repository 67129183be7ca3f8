/**
 * The stable, machine-readable reason codes of PRODUCT.md ("Workouts and verdicts") live in the shared vocabulary
 * (packages/vocabulary/src/reasonCodes.ts), where the web app reads them too; the workout modules import them here.
 */
export {
  COUNTING_CODES,
  type CountingCode,
  PARSE_PROBLEM_CODES,
  type ParseProblemCode,
  type Reason,
  type ReasonCode,
  REJECTION_CODES,
  type RejectionCode,
} from "@resolution-autopilot/vocabulary/reasonCodes";
