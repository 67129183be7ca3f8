/**
 * Vite build of the dApp. Deployments are read from ../deployments at build time (import.meta.glob), so the
 * repository root must be readable by the dev server. Routes are split with React.lazy; the entry chunk stays
 * small (see scripts/bundleSize.ts).
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5173, strictPort: true, fs: { allow: [repoRoot] } },
  preview: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: { target: "es2022", sourcemap: false, manifest: true, chunkSizeWarningLimit: 1024 },
});
