/**
 * drizzle-kit configuration: `npx drizzle-kit generate` (run from `agent/`, offline) diffs `src/store/schema.ts`
 * against the last snapshot in `drizzle/meta/` and writes the next SQL migration to `drizzle/`. Migrations are
 * committed and applied at startup by `openStore` (drizzle-orm's migrator), on PGlite and PostgreSQL alike.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
});
