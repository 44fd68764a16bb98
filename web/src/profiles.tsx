// Analyst: profile search, a profile with its golden attributes and their sources, the
// identity graph, "why one customer / why not", merge and split history, and (admin) the
// overrides behind a confirmation.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, gql, type Who } from "./api";
import { onLink } from "./router";
import { band, date } from "./format";
import { GraphCanvas, heldBack, type GNode } from "./graphview";

const SEARCH = `query Search($filter: ProfileFilter, $after: String) {
  searchProfiles(filter: $filter, first: 20, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { pid givenName { value } familyName { value } email { value } postcode { value }
            sources recordCount enrichment { loyaltyTier clvPercentile } }
  }
}`;

interface Row {
  pid: string;
  givenName: { value: string } | null;
  familyName: { value: string } | null;
  email: { value: string } | null;
  postcode: { value: string } | null;
  sources: string[];
  recordCount: number;
  enrichment: { loyaltyTier: string | null; clvPercentile: number | null };
}

function field(label: string, id: string, value: string, set: (v: string) => void, opts: { list?: string[] } = {}) {
  return (
    <div>
      <label for={id}>{label}</label>
      {opts.list ? (
        <select id={id} value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>
          {opts.list.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input id={id} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
      )}
    </div>
  );
}

const SOURCES = ["ecommerce", "pos", "esp", "loyalty", "service", "web"];
const ID_TYPES = ["email", "phone", "loyalty_id", "pos_customer_id", "shopify_customer_id", "esp_profile_id", "device_id", "cookie"];

export function ProfileSearch() {
  const [name, setName] = useState("");
  const [postcode, setPostcode] = useState("");
  const [source, setSource] = useState("");
  const [idType, setIdType] = useState("");
  const [rows, setRows] = useState<Row[] | null>(null);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState("");

  async function run(after: string | null, stack: (string | null)[]) {
    setError("");
    const filter: Record<string, string> = {};
    if (name.trim()) filter.name = name.trim();
    if (postcode.trim()) filter.postcode = postcode.trim();
    if (source) filter.source = source;
    if (idType) filter.identifierType = idType;
    try {
      const d = await gql<{ searchProfiles: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Row[] } }>(
        SEARCH,
        { filter, after },
      );
      setRows(d.searchProfiles.nodes);
      setNext(d.searchProfiles.pageInfo.hasNextPage ? d.searchProfiles.pageInfo.endCursor : null);
      setCursors(stack);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }
  useEffect(() => {
    run(null, [null]);
  }, []);

  return (
    <main>
      <h1>Profiles</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          run(null, [null]);
        }}
      >
        {field("Name", "f-name", name, setName)}
        {field("Postcode", "f-postcode", postcode, setPostcode)}
        {field("Source", "f-source", source, setSource, { list: SOURCES })}
        {field("Has identifier", "f-idtype", idType, setIdType, { list: ID_TYPES })}
        <button type="submit">Search</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows && (
        <div class="panel">
          <table data-testid="profile-results">
            <caption class="sr-only">Profiles found</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Postcode</th>
                <th scope="col">Sources</th>
                <th scope="col" class="num">
                  Records
                </th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td>
                    <a href={`/app/profiles/${encodeURIComponent(r.pid)}`} onClick={(e) => onLink(e, `/profiles/${r.pid}`)}>
                      {[r.givenName?.value, r.familyName?.value].filter(Boolean).join(" ") || r.pid}
                    </a>
                  </td>
                  <td>{r.email?.value ?? "—"}</td>
                  <td>{r.postcode?.value ?? "—"}</td>
                  <td>{r.sources.join(", ")}</td>
                  <td class="num">{r.recordCount}</td>
                  <td>{band(r.enrichment.clvPercentile)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p>No profile matches.</p>}
          <div class="toolbar">
            <button
              type="button"
              class="secondary"
              disabled={cursors.length <= 1}
              onClick={() => run(cursors[cursors.length - 2], cursors.slice(0, -1))}
            >
              Previous
            </button>
            <button type="button" class="secondary" disabled={!next} onClick={() => run(next, [...cursors, next])}>
              Next
            </button>
            <span class="hint">Page {cursors.length}</span>
          </div>
        </div>
      )}
    </main>
  );
}

const PROFILE = `query Profile($pid: ID!, $depth: Int!) {
  profile(pid: $pid) {
    pid redirectedFrom recordCount sources createdAt resolvedAt
    givenName { value source } familyName { value source } email { value source }
    phone { value source } address { value source } city { value source }
    state { value source } postcode { value source } country { value source } dob { value source }
    enrichment { loyaltyTier clvPercentile churnRisk preferredChannel ordersCount totalSpend }
    records { rid source sourceId givenName familyName email phone postcode observedAt stub }
    history { kind pid others records at }
  }
  profileGraph(pid: $pid, depth: $depth) {
    truncated
    nodes { id kind label properties }
    edges { source target type evidence }
  }
}`;

const EXPLAIN = `query Explain($a: ID!, $b: ID!) {
  explain(recordA: $a, recordB: $b) {
    recordA recordB sameProfile profileA profileB summary
    path { fromRecord toRecord via identifier evidence }
    barriers { kind identifier reason }
  }
}`;

interface Explanation {
  recordA: string;
  recordB: string;
  sameProfile: boolean;
  profileA: string | null;
  profileB: string | null;
  summary: string;
  path: { fromRecord: string; toRecord: string; via: string; identifier: string | null; evidence: Record<string, any> }[];
  barriers: { kind: string; identifier: string | null; reason: string }[];
}

const GOLDEN = ["givenName", "familyName", "email", "phone", "address", "city", "state", "postcode", "country", "dob"];
const LABELS: Record<string, string> = {
  givenName: "Given name",
  familyName: "Family name",
  email: "Email",
  phone: "Phone",
  address: "Address",
  city: "City",
  state: "State",
  postcode: "Postcode",
  country: "Country",
  dob: "Date of birth",
};

type Override =
  | { kind: "split"; key: string }
  | { kind: "reject"; a: string; b: string }
  | { kind: "link"; a: string; b: string };

const MUTATIONS = {
  split: `mutation Split($type: String!, $value: String!) { splitIdentifier(type: $type, value: $value) { records profiles { pid } resolution { merged split } } }`,
  reject: `mutation Reject($a: ID!, $b: ID!) { rejectMatch(recordA: $a, recordB: $b) { records profiles { pid } resolution { merged split } } }`,
  link: `mutation Link($a: ID!, $b: ID!) { forceLink(recordA: $a, recordB: $b) { records profiles { pid } resolution { merged split } } }`,
};

function describe(o: Override): string {
  if (o.kind === "split") return `Mark identifier ${o.key} as shared: it stops linking and the profile is resolved again.`;
  if (o.kind === "reject") return `Reject the match between ${o.a} and ${o.b}: they are kept apart from now on.`;
  return `Force ${o.a} and ${o.b} into one profile.`;
}

function evidenceText(ev: Record<string, any>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(ev)) {
    if (v == null) continue;
    parts.push(`${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  }
  return parts.join("; ");
}

export function ProfilePage({ who, pid }: { who: Who; pid: string }) {
  const [data, setData] = useState<any | null>(null);
  const [error, setError] = useState("");
  const [depth, setDepth] = useState(2);
  const [selected, setSelected] = useState<string[]>([]);
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [pending, setPending] = useState<Override | null>(null);
  const [notice, setNotice] = useState("");
  const dialog = useRef<HTMLDialogElement>(null);

  async function load() {
    setError("");
    try {
      setData(await gql<any>(PROFILE, { pid, depth }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }
  useEffect(() => {
    setExplanation(null);
    load();
  }, [pid, depth]);

  useEffect(() => {
    const recs = selected.filter((s) => s.startsWith("record:")).map((s) => s.slice(7));
    if (recs[0]) setA(recs[0]);
    if (recs[1]) setB(recs[1]);
  }, [selected]);

  useEffect(() => {
    if (pending) dialog.current?.showModal?.();
    else dialog.current?.close?.();
  }, [pending]);

  async function explain(e?: Event) {
    e?.preventDefault();
    setError("");
    try {
      const d = await gql<{ explain: Explanation }>(EXPLAIN, { a, b });
      setExplanation(d.explain);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }

  async function confirm() {
    const o = pending;
    if (!o) return;
    setPending(null);
    try {
      let vars: Record<string, string>;
      if (o.kind === "split") {
        const i = o.key.indexOf(":");
        vars = { type: o.key.slice(0, i), value: o.key.slice(i + 1) };
      } else vars = { a: o.a, b: o.b };
      const d = await gql<any>(MUTATIONS[o.kind], vars, 60_000);
      const r = Object.values(d)[0] as any;
      setNotice(`Done: ${r.records} records touched; resolution merged ${r.resolution?.merged ?? 0}, split ${r.resolution?.split ?? 0}.`);
      setExplanation(null);
      setSelected([]);
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }

  if (error && !data)
    return (
      <main>
        <p role="alert" class="error">
          {error}
        </p>
      </main>
    );
  if (!data) return <p class="loading">Loading…</p>;
  const p = data.profile;
  if (!p)
    return (
      <main>
        <h1>No profile {pid}</h1>
      </main>
    );
  const g = data.profileGraph ?? { nodes: [], edges: [], truncated: false };
  const inside = new Set<string>(p.records.map((r: any) => `record:${r.rid}`));
  const nodes: GNode[] = g.nodes.map((n: GNode) =>
    n.kind === "record" && !inside.has(n.id) ? { ...n, properties: { ...n.properties, outside: true } } : n,
  );
  const held = nodes.filter((n) => n.kind === "identifier" && heldBack(n));
  const path: string[] = [];
  if (explanation?.path.length) {
    for (const h of explanation.path) {
      if (!path.length || path[path.length - 1] !== `record:${h.fromRecord}`) path.push(`record:${h.fromRecord}`);
      if (h.via === "identifier" && h.identifier) path.push(`identifier:${h.identifier}`);
      path.push(`record:${h.toRecord}`);
    }
  }
  const selIdent = selected.find((s) => s.startsWith("identifier:"));
  const name = [p.givenName?.value, p.familyName?.value].filter(Boolean).join(" ") || p.pid;
  return (
    <main>
      <h1>
        {name} <span class="badge">{p.pid}</span>
      </h1>
      {p.redirectedFrom && <p class="hint">{p.redirectedFrom} was merged into this profile.</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <div class="split profile">
        <section class="panel" aria-labelledby="golden">
          <h2 id="golden">Golden attributes</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Attribute</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {GOLDEN.filter((k) => p[k]).map((k) => (
                <tr>
                  <th scope="row">{LABELS[k]}</th>
                  <td>{p[k].value}</td>
                  <td>
                    <span class="badge">{p[k].source ?? "?"}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">
            {p.recordCount} records from {p.sources.join(", ")} · value {band(p.enrichment.clvPercentile)} · churn{" "}
            {p.enrichment.churnRisk ?? "unknown"}
          </p>
          <h3>History</h3>
          <ol data-testid="history">
            {p.history.map((h: any) => (
              <li>
                {date(h.at)} · <strong>{h.kind}</strong>
                {h.others.length ? ` with ${h.others.join(", ")}` : ""}
                {h.records != null ? ` (${h.records} records)` : ""}
              </li>
            ))}
          </ol>
        </section>
        <section class="panel" aria-labelledby="graph-title">
          <h2 id="graph-title">Identity graph</h2>
          <div class="toolbar">
            <div>
              <label for="depth">Depth</label>
              <select id="depth" value={depth} onChange={(e) => setDepth(Number((e.target as HTMLSelectElement).value))}>
                <option value="1">1 · records</option>
                <option value="2">2 · identifiers and matches</option>
                <option value="3">3 · what it could have joined</option>
              </select>
            </div>
            <p class="hint">Click records (or identifiers) to select them; shift-click adds to the selection.</p>
          </div>
          <GraphCanvas nodes={nodes} edges={g.edges} path={path} onSelect={setSelected} />
          <ul class="legend" aria-label="Legend">
            <li><i style="background:#0b5cad" />profile</li>
            <li><i style="background:#2e8b57" />record</li>
            <li><i style="background:#c7ccd3" />record outside</li>
            <li><i style="background:#f0a000" />identifier</li>
            <li><i style="background:#a3122a" />held back</li>
            <li><i style="background:#6a3fb5" />match link</li>
          </ul>
          {g.truncated && <p class="hint">Only the first 200 outside records are drawn.</p>}
          <form class="toolbar" onSubmit={explain} aria-label="Explain two records">
            <div>
              <label for="rec-a">Record A</label>
              <input id="rec-a" value={a} onInput={(e) => setA((e.target as HTMLInputElement).value)} />
            </div>
            <div>
              <label for="rec-b">Record B</label>
              <input id="rec-b" value={b} onInput={(e) => setB((e.target as HTMLInputElement).value)} />
            </div>
            <button type="submit" disabled={!a || !b}>
              Why (not) one customer?
            </button>
          </form>
          {explanation && (
            <div data-testid="explanation" class="panel">
              <p>
                <strong>{explanation.sameProfile ? "One customer" : "Kept apart"}</strong>: {explanation.summary}
              </p>
              {explanation.path.length > 0 && (
                <ol data-testid="path">
                  {explanation.path.map((h) => (
                    <li>
                      {h.fromRecord} → {h.toRecord} via <strong>{h.via}</strong>
                      {h.identifier ? ` ${h.identifier}` : ""}
                      <div class="evidence">{evidenceText(h.evidence)}</div>
                    </li>
                  ))}
                </ol>
              )}
              {explanation.barriers.length > 0 && (
                <ul data-testid="barriers">
                  {explanation.barriers.map((x) => (
                    <li>
                      <strong>{x.kind}</strong> {x.identifier ?? ""}: {x.reason}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {who.role === "admin" && (
            <div class="toolbar" aria-label="Overrides">
              <button type="button" class="danger" disabled={!selIdent} onClick={() => selIdent && setPending({ kind: "split", key: selIdent.slice(11) })}>
                Split identifier…
              </button>
              <button type="button" class="danger" disabled={!a || !b} onClick={() => setPending({ kind: "reject", a, b })}>
                Reject match of A and B…
              </button>
              <button type="button" class="secondary" disabled={!a || !b} onClick={() => setPending({ kind: "link", a, b })}>
                Force link of A and B…
              </button>
            </div>
          )}
        </section>
      </div>
      <section class="panel" aria-labelledby="records-title">
        <h2 id="records-title">Records</h2>
        <table data-testid="records">
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Postcode</th>
              <th scope="col">Seen</th>
            </tr>
          </thead>
          <tbody>
            {p.records.map((r: any) => (
              <tr>
                <td>{r.rid}</td>
                <td>{[r.givenName, r.familyName].filter(Boolean).join(" ")}</td>
                <td>{r.email ?? "—"}</td>
                <td>{r.phone ?? "—"}</td>
                <td>{r.postcode ?? "—"}</td>
                <td>{date(r.observedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Held back identifiers</h3>
        {held.length ? (
          <ul data-testid="held">
            {held.map((n) => (
              <li>
                {n.label} <span class="badge bad">{heldBack(n)}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p>None: every identifier of these records links.</p>
        )}
      </section>
      <dialog ref={dialog} aria-labelledby="confirm-title" onClose={() => setPending(null)}>
        <h2 id="confirm-title">Confirm the override</h2>
        <p>{pending && describe(pending)}</p>
        <div class="toolbar">
          <button type="button" class="danger" onClick={confirm}>
            Confirm
          </button>
          <button type="button" class="secondary" onClick={() => setPending(null)}>
            Cancel
          </button>
        </div>
      </dialog>
    </main>
  );
}
