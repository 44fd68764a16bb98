// A tiny history router: the screens live under /app/..., deep links work because the
// server answers every /app path with the app.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/app";

export function navigate(path: string, replace = false): void {
  const url = BASE + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.dispatchEvent(new Event("cdp:navigate"));
}

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return p || "/";
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    window.addEventListener("popstate", update);
    window.addEventListener("cdp:navigate", update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener("cdp:navigate", update);
    };
  }, []);
  return path;
}

/** An in-app link: a real <a href> (keyboard, middle-click) that navigates without a reload. */
export function onLink(e: MouseEvent, path: string): void {
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(path);
}
