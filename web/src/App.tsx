/** The app shell: header with navigation and account controls, and the current (lazy-loaded) screen. */
import { lazy, Suspense } from "react";
import { useConnection } from "wagmi";
import { AccountBar } from "./components/AccountBar.tsx";
import { NetworkGuard } from "./components/NetworkGuard.tsx";
import { PageHeading } from "./components/PageHeading.tsx";
import { type Route, useHashRoute } from "./router.ts";

const Dashboard = lazy(() => import("./routes/Dashboard.tsx"));
const NewCommitment = lazy(() => import("./routes/NewCommitment.tsx"));
const Workouts = lazy(() => import("./routes/Workouts.tsx"));
const Coach = lazy(() => import("./routes/Coach.tsx"));
const Review = lazy(() => import("./routes/Review.tsx"));
const Challenges = lazy(() => import("./routes/Challenges.tsx"));
const Claims = lazy(() => import("./routes/Claims.tsx"));

const NAV: { route: Route; label: string }[] = [
  { route: "/", label: "Dashboard" },
  { route: "/new", label: "New commitment" },
  { route: "/workouts", label: "Workouts" },
  { route: "/claims", label: "Claims" },
  { route: "/coach", label: "Coach" },
  { route: "/challenges", label: "Challenges" },
];

function Landing() {
  return (
    <>
      <PageHeading>Keep your resolution — or lose your stake</PageHeading>
      <div className="card">
        <p>
          Stake ETH or a stablecoin on a fitness commitment, for example “3 workouts a week, 30 minutes each,
          for 8 weeks”. Each week you meet, an independent oracle signs off and that week’s share comes back
          to you. Miss one and it goes to the beneficiary you chose.
        </p>
        <p>Connect your wallet with the button at the top to start.</p>
      </div>
    </>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route) {
    case "/new":
      return <NetworkGuard>{(d) => <NewCommitment deployment={d} />}</NetworkGuard>;
    case "/workouts":
      return <Workouts />;
    case "/coach":
      return <Coach />;
    case "/review":
      return <Review />;
    case "/challenges":
      return <NetworkGuard>{(d) => <Challenges deployment={d} />}</NetworkGuard>;
    case "/claims":
      return <NetworkGuard>{(d) => <Claims deployment={d} />}</NetworkGuard>;
    default:
      return <NetworkGuard>{(d) => <Dashboard deployment={d} />}</NetworkGuard>;
  }
}

export function App() {
  const route = useHashRoute();
  const { isConnected, status } = useConnection();
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/">
          Resolution Autopilot
        </a>
        <nav className="main" aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.route}>
                <a href={`#${item.route}`} aria-current={route === item.route ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <AccountBar />
      </header>
      <main id="content">
        {status === "reconnecting" ? (
          <p role="status">Reconnecting your wallet…</p>
        ) : isConnected ? (
          <Suspense fallback={<p role="status">Loading…</p>}>
            <Screen route={route} />
          </Suspense>
        ) : (
          <Landing />
        )}
      </main>
    </>
  );
}
