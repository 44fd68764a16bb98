// The app's only way to data: our GraphQL API, with the session cookie (HttpOnly, set by
// /app/api/login) and the session's CSRF token on every request. Every request is bounded.

export type Role = "clienteling" | "analyst" | "admin";

export interface Who {
  name: string;
  role: Role;
  csrf: string;
}

const TIMEOUT_MS = 15_000;
let csrf = "";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

async function call(url: string, init: RequestInit, timeoutMs = TIMEOUT_MS): Promise<Response> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    return await fetch(url, { ...init, credentials: "same-origin", signal: ctl.signal });
  } catch (e) {
    throw new ApiError(
      ctl.signal.aborted ? "the server took too long to answer" : "cannot reach the server",
      "NETWORK",
    );
  } finally {
    clearTimeout(timer);
  }
}

async function detail(res: Response): Promise<string> {
  try {
    const body = await res.json();
    return body?.detail?.message ?? body?.detail ?? res.statusText;
  } catch {
    return res.statusText;
  }
}

export async function currentSession(): Promise<Who | null> {
  const res = await call("/app/api/session", { method: "GET" });
  if (res.status === 401) return null;
  if (!res.ok) throw new ApiError(await detail(res), String(res.status));
  const who = (await res.json()) as Who;
  csrf = who.csrf;
  return who;
}

export async function login(key: string): Promise<Who> {
  const res = await call("/app/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key }),
  });
  if (!res.ok) throw new ApiError(await detail(res), String(res.status));
  const who = (await res.json()) as Who;
  csrf = who.csrf;
  return who;
}

export async function logout(): Promise<void> {
  await call("/app/api/logout", { method: "POST", headers: { "X-CSRF-Token": csrf } });
  csrf = "";
}

export interface GqlResult<T> {
  data: T | null;
  errors: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** A GraphQL request; field errors come back alongside the data (aliases may fail alone). */
export async function gqlPartial<T>(
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = TIMEOUT_MS,
): Promise<GqlResult<T>> {
  const res = await call(
    "/graphql",
    {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ query, variables }),
    },
    timeoutMs,
  );
  if (res.status === 401) {
    window.dispatchEvent(new Event("cdp:logged-out"));
  }
  let body: { data?: T; errors?: GqlResult<T>["errors"] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`the server answered ${res.status}`, String(res.status));
  }
  const errors = body.errors ?? [];
  if (errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
    window.dispatchEvent(new Event("cdp:logged-out"));
  }
  return { data: body.data ?? null, errors };
}

/** A GraphQL request whose every error is a failure. */
export async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = TIMEOUT_MS,
): Promise<T> {
  const { data, errors } = await gqlPartial<T>(query, variables, timeoutMs);
  if (errors.length || data === null) {
    const e = errors[0];
    throw new ApiError(e?.message ?? "no data", e?.extensions?.code ?? "ERROR");
  }
  return data;
}
