/**
 * A local HTTP server (127.0.0.1, random port) speaking the parts of Strava's documented API the agent uses:
 * `GET /oauth/authorize` (auto-approves as a chosen athlete and redirects with `code`, `scope`, `state`),
 * `POST /oauth/token` (authorization_code and refresh_token grants), `POST /oauth/deauthorize`,
 * `GET /api/v3/athlete`, `GET /api/v3/activities/{id}`, `GET /api/v3/activities/{id}/streams`
 * (`key_by_type=true`) and `GET /api/v3/athlete/activities?after&before&page&per_page` (oldest first when
 * `after` is given, newest first otherwise, as Strava does), with Bearer tokens that expire by the test's
 * clock, Strava's error bodies and `X-RateLimit-*` headers.
 *
 * Tests script data (athletes, activities, streams) and failures (any status with headers such as
 * `Retry-After`, malformed JSON, slow answers), and read every request received (`requests`).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../src/clock.ts";
import { receiverWobble } from "../workouts/fixtures.ts";

export interface FakeStravaActivity {
  id: number;
  athlete: { id: number; resource_state: number };
  name: string;
  distance: number;
  moving_time: number;
  elapsed_time: number;
  total_elevation_gain: number;
  type: string;
  sport_type: string;
  start_date: string;
  start_date_local: string;
  timezone: string;
  manual: boolean;
  private: boolean;
  trainer: boolean;
  commute: boolean;
  has_heartrate: boolean;
  average_heartrate?: number;
  max_heartrate?: number;
  average_speed: number;
  max_speed: number;
  device_name?: string;
  resource_state: number;
}

/** Streams keyed by type, as `key_by_type=true` returns them (only `data` matters to the agent). */
export type FakeStravaStreams = Record<
  string,
  { data: unknown[]; series_type: "distance" | "time"; original_size: number; resolution: "high" }
>;

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value (serialised) or a raw string sent as is (malformed JSON, HTML). */
  body?: unknown;
  raw?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface ScriptMatch {
  method?: string;
  /** Exact path, or a pattern over the path. */
  path: string | RegExp;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The Authorization header, when sent. */
  authorization: string | undefined;
  /** The urlencoded body, parsed. */
  form: Record<string, string>;
  /** A scripted response answered this request. */
  scripted: boolean;
}

export interface FakeStravaParameters {
  clock: Clock;
  clientId?: string;
  clientSecret?: string;
  /** Seconds an access token lives (Strava: 6 h). */
  accessTokenTtlSec?: number;
  /** Whether a refresh returns a new refresh token (Strava does when the old one is about to change). */
  rotateRefreshTokens?: boolean;
}

interface AthleteState {
  id: number;
  activities: Map<number, FakeStravaActivity>;
  streams: Map<number, FakeStravaStreams>;
}

interface Grant {
  athleteId: number;
  scope: string;
}

const ERRORS = {
  unauthorized: {
    message: "Authorization Error",
    errors: [{ resource: "Athlete", field: "access_token", code: "invalid" }],
  },
  notFound: (resource: string) => ({
    message: "Record Not Found",
    errors: [{ resource, field: "id", code: "invalid" }],
  }),
  badRequest: (resource: string, field: string) => ({
    message: "Bad Request",
    errors: [{ resource, field, code: "invalid" }],
  }),
};

export class FakeStrava {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  /** Every access and refresh token ever issued (to check none leaks into responses or logs). */
  readonly issuedTokens: string[] = [];
  readonly #clock: Clock;
  readonly #accessTtlSec: number;
  readonly #rotate: boolean;
  readonly #athletes = new Map<number, AthleteState>();
  readonly #codes = new Map<string, Grant>();
  readonly #access = new Map<string, { athleteId: number; expiresAt: number }>();
  readonly #refresh = new Map<string, number>();
  readonly #scripts: { match: ScriptMatch; response: ScriptedResponse }[] = [];
  /** What `GET /oauth/authorize` approves as. */
  #authorizeAs: Grant | undefined;
  #server: Server | undefined;
  #baseUrl = "";

  constructor({
    clock,
    clientId = "4242",
    clientSecret = "fake-client-secret-0123456789",
    accessTokenTtlSec = 6 * 3600,
    rotateRefreshTokens = true,
  }: FakeStravaParameters) {
    this.#clock = clock;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.#accessTtlSec = accessTokenTtlSec;
    this.#rotate = rotateRefreshTokens;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addAthlete(id: number): void {
    if (!this.#athletes.has(id)) this.#athletes.set(id, { id, activities: new Map(), streams: new Map() });
  }

  addActivity(activity: FakeStravaActivity, streams?: FakeStravaStreams): void {
    this.addAthlete(activity.athlete.id);
    const athlete = this.#athletes.get(activity.athlete.id) as AthleteState;
    athlete.activities.set(activity.id, activity);
    if (streams !== undefined) athlete.streams.set(activity.id, streams);
  }

  /** `GET /oauth/authorize` will approve as this athlete with this scope (Strava reports what was granted). */
  authorizeAs(athleteId: number, scope = "read,activity:read_all"): void {
    this.addAthlete(athleteId);
    this.#authorizeAs = { athleteId, scope };
  }

  /** An authorization code as Strava's redirect would carry it. */
  issueCode(athleteId: number, scope = "read,activity:read_all"): string {
    this.addAthlete(athleteId);
    const code = `code${randomBytes(10).toString("hex")}`;
    this.#codes.set(code, { athleteId, scope });
    return code;
  }

  /** Tokens as a token exchange would give them, without going through OAuth (for seeding accounts). */
  issueTokens(athleteId: number): { accessToken: string; refreshToken: string; expiresAt: number } {
    this.addAthlete(athleteId);
    const issued = this.#issue(athleteId);
    return {
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: issued.expires_at,
    };
  }

  /** The athlete revokes the application in Strava's settings: every token stops working. */
  revoke(athleteId: number): void {
    for (const [token, entry] of this.#access) if (entry.athleteId === athleteId) this.#access.delete(token);
    for (const [token, id] of this.#refresh) if (id === athleteId) this.#refresh.delete(token);
  }

  /** The next request matching `match` gets `response` (scripts are consumed in the order given). */
  script(match: ScriptMatch, ...responses: ScriptedResponse[]): void {
    for (const response of responses) this.#scripts.push({ match, response });
  }

  /** Scripts not consumed yet. */
  get pendingScripts(): number {
    return this.#scripts.length;
  }

  clearScripts(): void {
    this.#scripts.length = 0;
  }

  requestsTo(path: string | RegExp, method?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        (method === undefined || r.method === method) &&
        (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
  }

  #issue(athleteId: number) {
    const accessToken = `at_${randomBytes(16).toString("hex")}`;
    const refreshToken = `rt_${randomBytes(16).toString("hex")}`;
    const expiresAt = Math.floor(this.#clock.now() / 1000) + this.#accessTtlSec;
    this.#access.set(accessToken, { athleteId, expiresAt });
    this.#refresh.set(refreshToken, athleteId);
    this.issuedTokens.push(accessToken, refreshToken);
    return {
      token_type: "Bearer",
      expires_at: expiresAt,
      expires_in: this.#accessTtlSec,
      refresh_token: refreshToken,
      access_token: accessToken,
    };
  }

  #athleteOfToken(token: string | undefined): number | undefined {
    if (token === undefined) return undefined;
    const entry = this.#access.get(token);
    if (entry === undefined || entry.expiresAt * 1000 <= this.#clock.now()) return undefined;
    return entry.athleteId;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.strava");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const form = Object.fromEntries(new URLSearchParams(body));
    const method = req.method ?? "GET";
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      form,
      scripted: false,
    };
    this.requests.push(recorded);
    const rateHeaders = {
      "x-ratelimit-limit": "600,30000",
      "x-ratelimit-usage": `${Math.min(this.requests.length, 599)},${this.requests.length}`,
    };

    const scriptIndex = this.#scripts.findIndex(
      ({ match }) =>
        (match.method === undefined || match.method === method) &&
        (typeof match.path === "string" ? match.path === url.pathname : match.path.test(url.pathname)),
    );
    if (scriptIndex !== -1) {
      const { response } = this.#scripts.splice(scriptIndex, 1)[0] as { response: ScriptedResponse };
      recorded.scripted = true;
      if (response.delayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, response.delayMs));
        if (req.socket.destroyed) return;
      }
      const text = response.raw ?? (response.body === undefined ? "" : JSON.stringify(response.body));
      res.writeHead(response.status, {
        "content-type": "application/json; charset=utf-8",
        ...rateHeaders,
        ...response.headers,
      });
      res.end(text);
      return;
    }

    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        ...rateHeaders,
        ...headers,
      });
      res.end(JSON.stringify(value));
    };
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];

    if (method === "GET" && url.pathname === "/oauth/authorize") {
      const redirect = url.searchParams.get("redirect_uri");
      if (url.searchParams.get("client_id") !== this.clientId || redirect === null) {
        send(400, ERRORS.badRequest("Application", "client_id"));
        return;
      }
      const target = new URL(redirect);
      target.searchParams.set("state", url.searchParams.get("state") ?? "");
      if (this.#authorizeAs === undefined) {
        target.searchParams.set("error", "access_denied");
      } else {
        target.searchParams.set("code", this.issueCode(this.#authorizeAs.athleteId, this.#authorizeAs.scope));
        target.searchParams.set("scope", this.#authorizeAs.scope);
      }
      res.writeHead(302, { location: target.toString() });
      res.end();
      return;
    }

    if (method === "POST" && url.pathname === "/oauth/token") {
      if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) {
        send(401, ERRORS.badRequest("Application", "client_id"));
        return;
      }
      if (form.grant_type === "authorization_code") {
        const grant = form.code === undefined ? undefined : this.#codes.get(form.code);
        if (grant === undefined || form.code === undefined) {
          send(400, ERRORS.badRequest("AuthorizationCode", "code"));
          return;
        }
        this.#codes.delete(form.code);
        send(200, {
          ...this.#issue(grant.athleteId),
          athlete: { id: grant.athleteId, username: `athlete${grant.athleteId}`, resource_state: 2 },
        });
        return;
      }
      if (form.grant_type === "refresh_token") {
        const athleteId =
          form.refresh_token === undefined ? undefined : this.#refresh.get(form.refresh_token);
        if (athleteId === undefined || form.refresh_token === undefined) {
          send(400, ERRORS.badRequest("RefreshToken", "refresh_token"));
          return;
        }
        const issued = this.#issue(athleteId);
        if (!this.#rotate) {
          this.#refresh.delete(issued.refresh_token);
          issued.refresh_token = form.refresh_token;
        } else {
          this.#refresh.delete(form.refresh_token);
        }
        send(200, issued);
        return;
      }
      send(400, ERRORS.badRequest("Application", "grant_type"));
      return;
    }

    if (method === "POST" && url.pathname === "/oauth/deauthorize") {
      const token = form.access_token ?? bearer;
      const athleteId = this.#athleteOfToken(token);
      if (athleteId === undefined) {
        send(401, ERRORS.unauthorized);
        return;
      }
      this.revoke(athleteId);
      send(200, { access_token: token });
      return;
    }

    if (url.pathname.startsWith("/api/v3/")) {
      const athleteId = this.#athleteOfToken(bearer);
      if (athleteId === undefined) {
        send(401, ERRORS.unauthorized);
        return;
      }
      const athlete = this.#athletes.get(athleteId) as AthleteState;
      if (method === "GET" && url.pathname === "/api/v3/athlete") {
        send(200, { id: athleteId, username: `athlete${athleteId}`, resource_state: 3 });
        return;
      }
      if (method === "GET" && url.pathname === "/api/v3/athlete/activities") {
        const after = Number(url.searchParams.get("after") ?? Number.NEGATIVE_INFINITY);
        const before = Number(url.searchParams.get("before") ?? Number.POSITIVE_INFINITY);
        const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
        const perPage = Math.min(200, Math.max(1, Number(url.searchParams.get("per_page") ?? 30)));
        const startOf = (a: FakeStravaActivity) => Date.parse(a.start_date) / 1000;
        const list = [...athlete.activities.values()]
          .filter((a) => startOf(a) > after && startOf(a) < before)
          .sort((a, b) =>
            url.searchParams.has("after") ? startOf(a) - startOf(b) : startOf(b) - startOf(a),
          );
        send(200, list.slice((page - 1) * perPage, page * perPage));
        return;
      }
      const streams = url.pathname.match(/^\/api\/v3\/activities\/(\d+)\/streams$/);
      if (method === "GET" && streams !== null) {
        const data = athlete.streams.get(Number(streams[1]));
        if (data === undefined) {
          send(404, ERRORS.notFound("Activity"));
          return;
        }
        const keys = new Set((url.searchParams.get("keys") ?? "").split(","));
        keys.add("distance");
        keys.add("time");
        send(200, Object.fromEntries(Object.entries(data).filter(([key]) => keys.has(key))));
        return;
      }
      const activity = url.pathname.match(/^\/api\/v3\/activities\/(\d+)$/);
      if (method === "GET" && activity !== null) {
        const found = athlete.activities.get(Number(activity[1]));
        if (found === undefined) {
          send(404, ERRORS.notFound("Activity"));
          return;
        }
        send(200, found);
        return;
      }
    }
    send(404, {
      message: "Record Not Found",
      errors: [{ resource: "resource", field: "path", code: "invalid" }],
    });
  }
}

export interface RunActivityParameters {
  id: number;
  athleteId: number;
  /** ms since the epoch. */
  start: number;
  minutes: number;
  /** m/s. Default 3 (a 5:33/km run). */
  speedMps?: number;
  sportType?: string;
  manual?: boolean;
  heartRate?: number;
  /** Seconds between stream samples. Default 5. */
  intervalSec?: number;
  /** Moving time claimed in the summary, seconds (default: the whole duration). */
  movingTimeSec?: number;
}

const METRES_PER_DEGREE_LAT = (Math.PI / 180) * 6_371_008.8;

/**
 * A recorded activity heading north at constant speed and its streams (time, latlng, distance, altitude,
 * heart rate, velocity), or, with `manual: true`, a typed-in activity without streams.
 */
export function runActivity(p: RunActivityParameters): {
  activity: FakeStravaActivity;
  streams: FakeStravaStreams | undefined;
} {
  const speed = p.speedMps ?? 3;
  const seconds = p.minutes * 60;
  const interval = p.intervalSec ?? 5;
  const heartRate = p.heartRate ?? 148;
  const sportType = p.sportType ?? "Run";
  const startDate = new Date(p.start).toISOString().replace(/\.\d{3}Z$/, "Z");
  const activity: FakeStravaActivity = {
    id: p.id,
    athlete: { id: p.athleteId, resource_state: 1 },
    name: `Morning ${sportType}`,
    distance: speed * seconds,
    moving_time: p.movingTimeSec ?? seconds,
    elapsed_time: seconds,
    total_elevation_gain: 12,
    type: sportType,
    sport_type: sportType,
    start_date: startDate,
    start_date_local: startDate,
    timezone: "(GMT+00:00) Europe/London",
    manual: p.manual === true,
    private: false,
    trainer: false,
    commute: false,
    has_heartrate: p.manual !== true,
    average_speed: speed,
    max_speed: speed * 1.1,
    resource_state: 3,
    ...(p.manual === true ? {} : { average_heartrate: heartRate, max_heartrate: heartRate + 12 }),
    ...(p.manual === true ? {} : { device_name: "Garmin Forerunner 255" }),
  };
  if (p.manual === true) return { activity, streams: undefined };
  const time: number[] = [];
  const latlng: [number, number][] = [];
  const distance: number[] = [];
  const altitude: number[] = [];
  const heart: number[] = [];
  const velocity: number[] = [];
  for (let second = 0; second <= seconds; second += interval) {
    time.push(second);
    // A receiver's wobble on the fixes (a ruler-straight, noiseless line reads as `synthetic_track`).
    const wobble = receiverWobble(second);
    latlng.push([
      51.5 + (speed * second + wobble.alongM) / METRES_PER_DEGREE_LAT,
      -0.12 + wobble.acrossM / (METRES_PER_DEGREE_LAT * Math.cos((51.5 * Math.PI) / 180)),
    ]);
    distance.push(speed * second);
    altitude.push(20 + Math.sin(second / 120));
    heart.push(heartRate + ((second / interval) % 5) - 2);
    velocity.push(speed);
  }
  const stream = (data: unknown[], seriesType: "distance" | "time" = "distance") => ({
    data,
    series_type: seriesType,
    original_size: data.length,
    resolution: "high" as const,
  });
  return {
    activity,
    streams: {
      time: stream(time),
      latlng: stream(latlng),
      distance: stream(distance),
      altitude: stream(altitude),
      heartrate: stream(heart),
      velocity_smooth: stream(velocity),
    },
  };
}
