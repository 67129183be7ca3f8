/** Entry point: wagmi + TanStack Query providers around the app shell. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App.tsx";
import { wagmiConfig } from "./chain/wagmiConfig.ts";
import { env } from "./env.ts";
import { startErrorReporting } from "./errors/errorReporting.ts";
import { routeStravaReturn } from "./providers/stravaReturn.ts";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1 } },
});

// Back from Strava's authorisation: the Workouts screen shows the link.
routeStravaReturn(window.location);

const root = document.getElementById("root");
if (root === null) throw new Error("#root is missing from index.html");
createRoot(root).render(
  <StrictMode>
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </WagmiProvider>
  </StrictMode>,
);

// After the first render, and only with a DSN built in: the Sentry chunk never delays the first screen.
void startErrorReporting(env).catch(() => {});
