// Segments: the filter tree as a builder (fields and operators from the API's allow-list),
// a live count and sample while editing, save (admin), then sync with a dry run first, and
// the sync history with per-row errors.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, gql, type Who } from "./api";
import { navigate, onLink } from "./router";
import { date, pct } from "./format";

interface FieldDef {
  name: string;
  kind: string;
  operators: string[];
  description: string;
}

export type Cond =
  | { t: "group"; op: "and" | "or"; not: boolean; children: Cond[] }
  | { t: "attribute"; field: string; op: string; value: string; value2: string }
  | { t: "hasIdentifier"; value: string }
  | { t: "inSource"; value: string }
  | { t: "consent"; value: string }
  | { t: "purchased"; channel: string; category: string; withinDays: string; minOrders: string };

const ID_TYPES = ["email", "phone", "loyalty_id", "pos_customer_id", "shopify_customer_id", "esp_profile_id", "device_id", "cookie"];
const SOURCES = ["ecommerce", "pos", "esp", "loyalty", "service", "web"];

function scalar(kind: string, v: string): unknown {
  if (kind === "number" || kind === "days") return Number(v);
  if (kind === "bool") return v === "true";
  if (kind === "scalar") return v !== "" && !isNaN(Number(v)) ? Number(v) : v;
  return v;
}

/** The builder's tree as the API's SegmentFilterInput (exactly one key per node). */
export function toInput(c: Cond, fields: Map<string, FieldDef>): Record<string, unknown> {
  switch (c.t) {
    case "group": {
      const node = { [c.op]: c.children.map((x) => toInput(x, fields)) };
      return c.not ? { not: node } : node;
    }
    case "attribute": {
      const kind = fields.get(c.field)?.kind ?? "string";
      let value: unknown = null;
      if (c.op === "between") value = [scalar(kind, c.value), scalar(kind, c.value2)];
      else if (["in", "not_in", "contains_any"].includes(c.op))
        value = c.value.split(",").map((s) => scalar(kind === "list" ? "string" : kind, s.trim())).filter((s) => s !== "");
      else if (c.op === "exists" || c.op === "missing") value = null;
      else value = scalar(kind === "list" ? "string" : kind, c.value);
      return { attribute: { field: c.field, op: c.op, value } };
    }
    case "hasIdentifier":
      return { hasIdentifier: c.value };
    case "inSource":
      return { inSource: c.value };
    case "consent":
      return { consent: c.value };
    case "purchased": {
      const p: Record<string, unknown> = { minOrders: Number(c.minOrders || 1) };
      if (c.channel) p.channel = c.channel;
      if (c.category) p.category = c.category;
      if (c.withinDays) p.withinDays = Number(c.withinDays);
      return { purchased: p };
    }
  }
}

/** A saved definition (the API's JSON, snake_case) back into the builder's tree. */
function fromDefinition(d: any): Cond {
  if (d.and || d.or)
    return { t: "group", op: d.and ? "and" : "or", not: false, children: (d.and ?? d.or).map(fromDefinition) };
  if (d.not) {
    const inner = fromDefinition(d.not);
    if (inner.t === "group") return { ...inner, not: !inner.not };
    return { t: "group", op: "and", not: true, children: [inner] };
  }
  if (d.attribute) {
    const v = d.attribute.value;
    return {
      t: "attribute",
      field: d.attribute.field,
      op: d.attribute.op,
      value: Array.isArray(v) ? (d.attribute.op === "between" ? String(v[0]) : v.join(", ")) : v == null ? "" : String(v),
      value2: Array.isArray(v) && d.attribute.op === "between" ? String(v[1]) : "",
    };
  }
  const key = d.has_identifier ?? d.hasIdentifier;
  if (key) return { t: "hasIdentifier", value: key };
  if (d.in_source ?? d.inSource) return { t: "inSource", value: d.in_source ?? d.inSource };
  if (d.consent) return { t: "consent", value: d.consent };
  if (d.purchased) {
    const p = d.purchased;
    return {
      t: "purchased",
      channel: p.channel ?? "",
      category: p.category ?? "",
      withinDays: String(p.within_days ?? p.withinDays ?? ""),
      minOrders: String(p.min_orders ?? p.minOrders ?? 1),
    };
  }
  return { t: "group", op: "and", not: false, children: [] };
}

function newCond(kind: string, fields: FieldDef[]): Cond {
  switch (kind) {
    case "attribute": {
      const f = fields[0];
      return { t: "attribute", field: f?.name ?? "", op: f?.operators[0] ?? "eq", value: "", value2: "" };
    }
    case "hasIdentifier":
      return { t: "hasIdentifier", value: "email" };
    case "inSource":
      return { t: "inSource", value: "pos" };
    case "consent":
      return { t: "consent", value: "email" };
    case "purchased":
      return { t: "purchased", channel: "", category: "", withinDays: "", minOrders: "1" };
    default:
      return { t: "group", op: "or", not: false, children: [] };
  }
}

let uid = 0;
function Editor({ c, set, remove, fields, depth }: { c: Cond; set: (c: Cond) => void; remove?: () => void; fields: FieldDef[]; depth: number }) {
  const id = useRef(`c${++uid}`).current;
  const del = remove && (
    <button type="button" class="link" onClick={remove} aria-label="Remove this condition">
      Remove
    </button>
  );
  if (c.t === "group") {
    return (
      <fieldset class="tree" data-testid="group">
        <legend class="sr-only">Group of conditions</legend>
        <div class="cond">
          <div>
            <label for={`${id}-op`}>Match</label>
            <select id={`${id}-op`} value={c.op} onChange={(e) => set({ ...c, op: (e.target as HTMLSelectElement).value as "and" | "or" })}>
              <option value="and">all of</option>
              <option value="or">any of</option>
            </select>
          </div>
          <label class="check">
            <input type="checkbox" checked={c.not} onChange={(e) => set({ ...c, not: (e.target as HTMLInputElement).checked })} />
            none of these (NOT)
          </label>
          {del}
        </div>
        {c.children.map((ch, i) => (
          <Editor
            c={ch}
            fields={fields}
            depth={depth + 1}
            set={(n) => set({ ...c, children: c.children.map((x, j) => (j === i ? n : x)) })}
            remove={() => set({ ...c, children: c.children.filter((_, j) => j !== i) })}
          />
        ))}
        <div class="cond">
          <label for={`${id}-add`} class="sr-only">
            Add a condition
          </label>
          <select
            id={`${id}-add`}
            value=""
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              if (v) set({ ...c, children: [...c.children, newCond(v, fields)] });
            }}
          >
            <option value="">+ add a condition…</option>
            <option value="attribute">attribute</option>
            <option value="hasIdentifier">has identifier</option>
            <option value="inSource">in source</option>
            <option value="consent">consent</option>
            <option value="purchased">purchased</option>
            {depth < 3 && <option value="group">group (and / or)</option>}
          </select>
        </div>
      </fieldset>
    );
  }
  if (c.t === "attribute") {
    const f = fields.find((x) => x.name === c.field);
    const ops = f?.operators ?? [];
    const kind = f?.kind ?? "string";
    const noValue = c.op === "exists" || c.op === "missing";
    const type = kind === "number" || kind === "days" ? "number" : "text";
    return (
      <div class="cond" data-testid="condition">
        <div>
          <label for={`${id}-f`}>Attribute</label>
          <select
            id={`${id}-f`}
            value={c.field}
            onChange={(e) => {
              const nf = fields.find((x) => x.name === (e.target as HTMLSelectElement).value)!;
              set({ ...c, field: nf.name, op: nf.operators.includes(c.op) ? c.op : nf.operators[0], value: "", value2: "" });
            }}
          >
            {fields.map((x) => (
              <option value={x.name} title={x.description}>
                {x.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={`${id}-o`}>Operator</label>
          <select id={`${id}-o`} value={c.op} onChange={(e) => set({ ...c, op: (e.target as HTMLSelectElement).value })}>
            {ops.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </div>
        {!noValue &&
          (kind === "bool" ? (
            <div>
              <label for={`${id}-v`}>Value</label>
              <select id={`${id}-v`} value={c.value} onChange={(e) => set({ ...c, value: (e.target as HTMLSelectElement).value })}>
                <option value="">choose…</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            </div>
          ) : (
            <div>
              <label for={`${id}-v`}>{["in", "not_in", "contains_any"].includes(c.op) ? "Values (comma-separated)" : "Value"}</label>
              <input
                id={`${id}-v`}
                type={["in", "not_in", "contains_any"].includes(c.op) ? "text" : type}
                step="any"
                value={c.value}
                onInput={(e) => set({ ...c, value: (e.target as HTMLInputElement).value })}
              />
            </div>
          ))}
        {c.op === "between" && (
          <div>
            <label for={`${id}-v2`}>and</label>
            <input id={`${id}-v2`} type={type} step="any" value={c.value2} onInput={(e) => set({ ...c, value2: (e.target as HTMLInputElement).value })} />
          </div>
        )}
        <span class="hint">{f?.description}</span>
        {del}
      </div>
    );
  }
  if (c.t === "purchased") {
    return (
      <div class="cond" data-testid="condition">
        <strong>Purchased</strong>
        <div>
          <label for={`${id}-ch`}>Channel</label>
          <select id={`${id}-ch`} value={c.channel} onChange={(e) => set({ ...c, channel: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            <option value="online">online</option>
            <option value="store">store</option>
          </select>
        </div>
        <div>
          <label for={`${id}-cat`}>Category</label>
          <input id={`${id}-cat`} value={c.category} onInput={(e) => set({ ...c, category: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for={`${id}-wd`}>Within days</label>
          <input id={`${id}-wd`} type="number" value={c.withinDays} onInput={(e) => set({ ...c, withinDays: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for={`${id}-mo`}>At least orders</label>
          <input id={`${id}-mo`} type="number" min="1" value={c.minOrders} onInput={(e) => set({ ...c, minOrders: (e.target as HTMLInputElement).value })} />
        </div>
        {del}
      </div>
    );
  }
  const options = c.t === "hasIdentifier" ? ID_TYPES : c.t === "inSource" ? SOURCES : ["email", "sms"];
  const label = c.t === "hasIdentifier" ? "Has identifier" : c.t === "inSource" ? "In source" : "Consented to";
  return (
    <div class="cond" data-testid="condition">
      <div>
        <label for={`${id}-s`}>{label}</label>
        <select id={`${id}-s`} value={c.value} onChange={(e) => set({ ...c, value: (e.target as HTMLSelectElement).value } as Cond)}>
          {options.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
      </div>
      {del}
    </div>
  );
}

const LIST = `query { segments { id name description memberCount refreshedAt timeRelative } }`;

export function Segments({ who }: { who: Who }) {
  const [rows, setRows] = useState<any[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    gql<{ segments: any[] }>(LIST)
      .then((d) => setRows(d.segments))
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, []);
  return (
    <main>
      <h1>Segments</h1>
      <p>
        <a href="/app/segments/new" onClick={(e) => onLink(e, "/segments/new")}>
          Build a new segment
        </a>
        {who.role !== "admin" && <span class="hint"> (saving and syncing need an admin key)</span>}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows && (
        <table class="panel" data-testid="segments">
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Description</th>
              <th scope="col" class="num">
                Members
              </th>
              <th scope="col">Refreshed</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr>
                <td>
                  <a href={`/app/segments/${encodeURIComponent(s.id)}`} onClick={(e) => onLink(e, `/segments/${s.id}`)}>
                    {s.name}
                  </a>
                </td>
                <td>{s.description}</td>
                <td class="num">{s.memberCount.toLocaleString()}</td>
                <td>{date(s.refreshedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

const FIELDS = `query { segmentFields { name kind operators description } }`;
const ONE = `query One($id: String!) {
  segment(id: $id) { id name description definition memberCount refreshedAt }
  destinations { id name kind }
  syncRuns(segment: $id, limit: 20) { id destination dryRun status startedAt members adds updates removes unchanged failed invalid noConsent seconds error }
}`;
const DESTS = `query { destinations { id name kind } }`;
const PREVIEW = `query Preview($d: SegmentFilterInput!) {
  segmentPreview(definition: $d, sampleSize: 5) {
    count sample { pid givenName familyName city loyaltyTier clvPercentile topCategory }
  }
}`;
const SAVE_NEW = `mutation Save($id: String!, $name: String!, $d: SegmentFilterInput!, $desc: String!) {
  createSegment(id: $id, name: $name, definition: $d, description: $desc) { id memberCount }
}`;
const SAVE = `mutation Update($id: String!, $name: String!, $d: SegmentFilterInput!, $desc: String!) {
  updateSegment(id: $id, name: $name, definition: $d, description: $desc) { id memberCount }
}`;
const SYNC = `mutation Sync($s: String!, $dest: String!, $dry: Boolean!) {
  triggerSync(segment: $s, destination: $dest, dryRun: $dry) {
    id status dryRun members adds updates removes unchanged failed invalid noConsent seconds error
  }
}`;
const ERRORS = `query Errors($run: String!) { syncRunErrors(runId: $run, limit: 100) { pid action reason retryable } }`;

export function SegmentEditor({ who, id }: { who: Who; id: string }) {
  const isNew = id === "new";
  const [fields, setFields] = useState<FieldDef[]>([]);
  const [tree, setTree] = useState<Cond>({ t: "group", op: "and", not: false, children: [] });
  const [name, setName] = useState("");
  const [sid, setSid] = useState("");
  const [desc, setDesc] = useState("");
  const [preview, setPreview] = useState<{ count: number; sample: any[] } | null>(null);
  const [previewError, setPreviewError] = useState("");
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [dests, setDests] = useState<any[]>([]);
  const [dest, setDest] = useState("");
  const [runs, setRuns] = useState<any[]>([]);
  const [dry, setDry] = useState<any | null>(null);
  const [errorsOf, setErrorsOf] = useState<{ run: string; rows: any[] } | null>(null);
  const fieldMap = new Map(fields.map((f) => [f.name, f]));

  async function loadOne() {
    const d = await gql<any>(ONE, { id });
    if (!d.segment) {
      setError(`No segment ${id}`);
      return;
    }
    setName(d.segment.name);
    setSid(d.segment.id);
    setDesc(d.segment.description);
    setTree(fromDefinition(d.segment.definition));
    setDests(d.destinations);
    setDest((cur) => cur || d.destinations[0]?.id || "");
    setRuns(d.syncRuns);
  }

  useEffect(() => {
    (async () => {
      try {
        const f = await gql<{ segmentFields: FieldDef[] }>(FIELDS);
        setFields(f.segmentFields);
        if (!isNew) await loadOne();
        else {
          const d = await gql<{ destinations: any[] }>(DESTS);
          setDests(d.destinations);
        }
      } catch (e) {
        setError(e instanceof ApiError ? e.message : String(e));
      }
    })();
  }, [id]);

  // The live count: previewed a moment after the last edit, the latest answer wins.
  const seq = useRef(0);
  useEffect(() => {
    if (!fields.length) return;
    if (tree.t === "group" && tree.children.length === 0) {
      setPreview(null);
      return;
    }
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const d = await gql<{ segmentPreview: { count: number; sample: any[] } }>(PREVIEW, { d: toInput(tree, fieldMap) });
        if (mine === seq.current) {
          setPreview(d.segmentPreview);
          setPreviewError("");
        }
      } catch (e) {
        if (mine === seq.current) {
          setPreview(null);
          setPreviewError(e instanceof ApiError ? e.message : String(e));
        }
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [tree, fields]);

  async function save(e: Event) {
    e.preventDefault();
    setError("");
    try {
      const d = toInput(tree, fieldMap);
      if (isNew) {
        await gql(SAVE_NEW, { id: sid, name, d, desc }, 60_000);
        navigate(`/segments/${sid}`);
      } else {
        await gql(SAVE, { id: sid, name, d, desc }, 60_000);
        await loadOne();
      }
      setNotice("Saved; membership refreshed.");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }

  async function sync(dryRun: boolean) {
    setError("");
    try {
      const d = await gql<{ triggerSync: any }>(SYNC, { s: sid, dest, dry: dryRun }, 120_000);
      await loadOne();
      if (dryRun) setDry({ ...d.triggerSync, dest });
      else {
        setDry(null);
        setNotice(`Sync ${d.triggerSync.status}: ${d.triggerSync.adds} added, ${d.triggerSync.removes} removed.`);
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }

  async function showErrors(run: string) {
    try {
      const d = await gql<{ syncRunErrors: any[] }>(ERRORS, { run });
      setErrorsOf({ run, rows: d.syncRunErrors });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }

  const admin = who.role === "admin";
  return (
    <main>
      <h1>{isNew ? "New segment" : name}</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      <div class="split even">
        <form class="panel" onSubmit={save} aria-labelledby="def-title">
          <h2 id="def-title">Definition</h2>
          <div class="cond">
            <div>
              <label for="seg-id">Id</label>
              <input id="seg-id" required pattern="[a-z0-9][a-z0-9_-]*" disabled={!isNew} value={sid} onInput={(e) => setSid((e.target as HTMLInputElement).value)} />
            </div>
            <div>
              <label for="seg-name">Name</label>
              <input id="seg-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </div>
          </div>
          <div>
            <label for="seg-desc">Description</label>
            <input id="seg-desc" style="width:100%" value={desc} onInput={(e) => setDesc((e.target as HTMLInputElement).value)} />
          </div>
          {fields.length > 0 && <Editor c={tree} set={setTree} fields={fields} depth={0} />}
          <button type="submit" disabled={!admin}>
            Save
          </button>
          {!admin && <span class="hint"> saving needs an admin key</span>}
        </form>
        <section class="panel" aria-labelledby="live-title" aria-live="polite">
          <h2 id="live-title">Live count</h2>
          {previewError && <p class="error">{previewError}</p>}
          {preview ? (
            <>
              <p class="big">
                <strong data-testid="live-count">{preview.count.toLocaleString("en-US")}</strong> profiles
              </p>
              <table>
                <caption class="sr-only">A sample of the members</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">City</th>
                    <th scope="col">Tier</th>
                    <th scope="col">CLV pct</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.sample.map((m) => (
                    <tr>
                      <td>{[m.givenName, m.familyName].filter(Boolean).join(" ") || m.pid}</td>
                      <td>{m.city ?? "—"}</td>
                      <td>{m.loyaltyTier ?? "—"}</td>
                      <td>{pct(m.clvPercentile)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            <p class="hint">Add a condition to see how many profiles it selects.</p>
          )}
        </section>
      </div>
      {!isNew && (
        <section class="panel" aria-labelledby="sync-title">
          <h2 id="sync-title">Sync</h2>
          <div class="toolbar">
            <div>
              <label for="dest">Destination</label>
              <select id="dest" value={dest} onChange={(e) => { setDest((e.target as HTMLSelectElement).value); setDry(null); }}>
                {dests.map((d) => (
                  <option value={d.id}>
                    {d.name} ({d.kind})
                  </option>
                ))}
              </select>
            </div>
            <button type="button" class="secondary" disabled={!admin || !dest} onClick={() => sync(true)}>
              Dry run
            </button>
            <button type="button" disabled={!admin || !dry || dry.dest !== dest} onClick={() => sync(false)} title="Run a dry run first">
              Sync now
            </button>
          </div>
          {dry && (
            <p data-testid="dry-run">
              Dry run: {dry.members} members; would add {dry.adds}, update {dry.updates}, remove {dry.removes}; {dry.noConsent} without consent,{" "}
              {dry.invalid} invalid. Nothing was sent.
            </p>
          )}
          <h3>History</h3>
          <table data-testid="sync-runs">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Destination</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Members</th>
                <th scope="col" class="num">Adds</th>
                <th scope="col" class="num">Removes</th>
                <th scope="col" class="num">Failed</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr>
                  <td>{(r.startedAt ?? "").replace("T", " ").slice(0, 19)}</td>
                  <td>{r.destination}</td>
                  <td>
                    {r.dryRun ? "dry run" : r.status}
                  </td>
                  <td class="num">{r.members ?? "—"}</td>
                  <td class="num">{r.adds ?? "—"}</td>
                  <td class="num">{r.removes ?? "—"}</td>
                  <td class="num">{(r.failed ?? 0) + (r.invalid ?? 0)}</td>
                  <td>
                    {(r.failed || r.invalid) ? (
                      <button type="button" class="link" onClick={() => showErrors(r.id)}>
                        show rows
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {errorsOf && (
            <div data-testid="row-errors">
              <h3>Rows run {errorsOf.run} could not deliver</h3>
              <ul>
                {errorsOf.rows.map((e) => (
                  <li>
                    {e.pid} · {e.action}: {e.reason} {e.retryable ? "(will retry)" : ""}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </section>
      )}
    </main>
  );
}
