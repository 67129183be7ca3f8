/**
 * The parts of `@sentry/react` the app uses, and nothing else: `errorReporting.ts` imports this module lazily, so
 * the bundler makes it a chunk of its own holding only these (not the SDK's replay, tracing or feedback).
 */
export { dedupeIntegration, globalHandlersIntegration, init, linkedErrorsIntegration } from "@sentry/react";
