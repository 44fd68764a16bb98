import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, currentSession, login, logout, type Who } from "./api";
import { Lookup } from "./lookup";
import { navigate, onLink, usePath } from "./router";
import { ProfilePage, ProfileSearch } from "./profiles";
import { SegmentEditor, Segments } from "./segments";
import { Health } from "./health";
import "./style.css";

interface Screen {
  path: string;
  label: string;
  roles: Who["role"][];
}

const SCREENS: Screen[] = [
  { path: "/lookup", label: "Customer look-up", roles: ["clienteling", "analyst", "admin"] },
  { path: "/profiles", label: "Profiles & graph", roles: ["analyst", "admin"] },
  { path: "/segments", label: "Segments", roles: ["analyst", "admin"] },
  { path: "/health", label: "Data health", roles: ["analyst", "admin"] },
];

function home(who: Who): string {
  return who.role === "clienteling" ? "/lookup" : "/profiles";
}

function Login({ onDone }: { onDone: (w: Who) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onDone(await login(key));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "cannot log in");
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <h1>graph-cdp</h1>
      <form onSubmit={submit} aria-describedby="login-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <p id="login-help" class="hint">
          Your key is exchanged for a session cookie; it is not kept in the browser.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Forbidden() {
  return (
    <main>
      <h1>Not available</h1>
      <p>Your role cannot open this screen.</p>
    </main>
  );
}

function Routes({ who, path }: { who: Who; path: string }) {
  const screen = SCREENS.find((s) => path === s.path || path.startsWith(s.path + "/"));
  if (!screen) return <Forbidden />;
  if (!screen.roles.includes(who.role)) return <Forbidden />;
  const rest = path.slice(screen.path.length + 1);
  switch (screen.path) {
    case "/lookup":
      return <Lookup who={who} />;
    case "/profiles":
      return rest ? <ProfilePage who={who} pid={decodeURIComponent(rest)} /> : <ProfileSearch />;
    case "/segments":
      return rest ? <SegmentEditor who={who} id={decodeURIComponent(rest)} /> : <Segments who={who} />;
    case "/health":
      return <Health />;
  }
  return <Forbidden />;
}

function App() {
  const [who, setWho] = useState<Who | null | undefined>(undefined);
  const path = usePath();
  useEffect(() => {
    currentSession()
      .then(setWho)
      .catch(() => setWho(null));
    const out = () => setWho(null);
    window.addEventListener("cdp:logged-out", out);
    return () => window.removeEventListener("cdp:logged-out", out);
  }, []);
  useEffect(() => {
    if (who && path === "/") navigate(home(who), true);
  }, [who, path]);
  if (who === undefined) return <p class="loading">Loading…</p>;
  if (who === null)
    return (
      <Login
        onDone={(w) => {
          setWho(w);
          navigate(home(w), true);
        }}
      />
    );
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">graph-cdp</span>
        <nav aria-label="Screens">
          {SCREENS.filter((s) => s.roles.includes(who.role)).map((s) => (
            <a
              href={"/app" + s.path}
              aria-current={path.startsWith(s.path) ? "page" : undefined}
              onClick={(e) => onLink(e, s.path)}
            >
              {s.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {who.name} · <span data-testid="role">{who.role}</span>
        </span>
        <button
          class="link"
          type="button"
          onClick={async () => {
            await logout();
            setWho(null);
          }}
        >
          Log out
        </button>
      </header>
      <div id="main" tabIndex={-1}>
        <Routes who={who} path={path} />
      </div>
    </>
  );
}

render(<App />, document.getElementById("root")!);
