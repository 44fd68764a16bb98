// Clienteling: one search box for what an associate types (a phone in any format, an email,
// a loyalty number), then the customer card. Everything shown comes masked from the API for
// clienteling keys: the browser never receives a full email or phone.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, gql, gqlPartial, type Who } from "./api";
import { onLink } from "./router";
import { band, date, money, pct } from "./format";

export interface Candidate {
  type: "email" | "phone" | "loyalty_id";
  value: string;
}

/** What the associate typed, as the identifier types it could be (tried together). */
export function classify(input: string): Candidate[] {
  const t = input.trim();
  if (!t) return [];
  if (t.includes("@")) return [{ type: "email", value: t }];
  if (/^[A-Za-z]{1,4}[\s-]?\d{3,}$/.test(t)) return [{ type: "loyalty_id", value: t.replace(/[\s-]/g, "") }];
  const digits = t.replace(/\D/g, "");
  if (/^[+\d\s().-]+$/.test(t) && digits.length >= 6) {
    return [
      { type: "phone", value: t },
      { type: "loyalty_id", value: t },
    ];
  }
  return [];
}

const CARD_FIELDS = `
  pid
  givenName { value }
  familyName { value }
  email { value }
  phone { value }
  city { value }
  postcode { value }
  sources
  enrichment {
    loyaltyTier loyaltyPoints clvPercentile churnRisk preferredChannel topCategory
    categoryAffinity consentEmail consentSms unsubscribed ordersCount totalSpend lastPurchaseAt
  }
  orders(first: 5) {
    totalCount
    nodes { oid placedAt total currency channel store categories source }
  }
  events(first: 50) { nodes { eid type ts } }
`;

interface Card {
  pid: string;
  givenName: { value: string } | null;
  familyName: { value: string } | null;
  email: { value: string } | null;
  phone: { value: string } | null;
  city: { value: string } | null;
  postcode: { value: string } | null;
  sources: string[];
  enrichment: {
    loyaltyTier: string | null;
    loyaltyPoints: number | null;
    clvPercentile: number | null;
    churnRisk: string | null;
    preferredChannel: string | null;
    topCategory: string | null;
    categoryAffinity: Record<string, number> | null;
    consentEmail: boolean | null;
    consentSms: boolean | null;
    unsubscribed: boolean | null;
    ordersCount: number | null;
    totalSpend: number | null;
    lastPurchaseAt: string | null;
  };
  orders: {
    totalCount: number | null;
    nodes: {
      oid: string;
      placedAt: string | null;
      total: number | null;
      currency: string | null;
      channel: string | null;
      store: string | null;
      categories: string[];
      source: string | null;
    }[];
  };
  events: { nodes: { eid: string; type: string | null; ts: string | null }[] };
}

function lookupQuery(cands: Candidate[]): string {
  const vars = cands.map((_, i) => `$t${i}: String!, $v${i}: String!`).join(", ");
  const fields = cands
    .map((_, i) => `c${i}: profileByIdentifier(type: $t${i}, value: $v${i}) { ...Card }`)
    .join("\n");
  return `query Lookup(${vars}) {\n${fields}\n}\nfragment Card on Profile {${CARD_FIELDS}}`;
}

const BY_PID = `query Card($pid: ID!) { profile(pid: $pid) { ...Card } }
fragment Card on Profile {${CARD_FIELDS}}`;

const BY_NAME = `query NamePostcode($name: String!, $postcode: String!) {
  searchProfiles(filter: {name: $name, postcode: $postcode}, first: 10) {
    nodes { pid givenName { value } familyName { value } email { value } city { value }
            postcode { value } enrichment { loyaltyTier } }
  }
}`;

declare global {
  interface Window {
    __cdpCardTimings?: number[];
  }
}

type State =
  | { kind: "idle" }
  | { kind: "busy" }
  | { kind: "found"; card: Card; t0: number }
  | { kind: "miss"; typed: string; reason: string }
  | { kind: "error"; message: string };

export function Lookup({ who }: { who: Who }) {
  const [q, setQ] = useState("");
  const [state, setState] = useState<State>({ kind: "idle" });
  const input = useRef<HTMLInputElement>(null);
  const cardRef = useRef<HTMLElement>(null);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    if (state.kind !== "found") return;
    // Rendered: measured from pressing enter to the frame after the card is in the page.
    requestAnimationFrame(() => {
      const ms = performance.now() - state.t0;
      (window.__cdpCardTimings ??= []).push(ms);
      cardRef.current?.setAttribute("data-render-ms", ms.toFixed(1));
    });
  }, [state]);

  async function search(e: Event) {
    e.preventDefault();
    const t0 = performance.now();
    const cands = classify(q);
    if (!cands.length) {
      setState({
        kind: "miss",
        typed: q,
        reason: "That is not a phone number, an email or a loyalty number.",
      });
      return;
    }
    setState({ kind: "busy" });
    try {
      const vars: Record<string, string> = {};
      cands.forEach((c, i) => {
        vars[`t${i}`] = c.type;
        vars[`v${i}`] = c.value;
      });
      const { data, errors } = await gqlPartial<Record<string, Card | null>>(lookupQuery(cands), vars);
      const card = cands.map((_, i) => data?.[`c${i}`]).find((c) => c);
      if (card) setState({ kind: "found", card, t0 });
      else if (errors.length === cands.length)
        setState({ kind: "miss", typed: q, reason: errors[0].message });
      else setState({ kind: "miss", typed: q, reason: "" });
    } catch (err) {
      setState({ kind: "error", message: err instanceof ApiError ? err.message : String(err) });
    }
  }

  async function open(pid: string) {
    const t0 = performance.now();
    setState({ kind: "busy" });
    try {
      const data = await gql<{ profile: Card | null }>(BY_PID, { pid });
      if (data.profile) setState({ kind: "found", card: data.profile, t0 });
      else setState({ kind: "miss", typed: pid, reason: "" });
    } catch (err) {
      setState({ kind: "error", message: err instanceof ApiError ? err.message : String(err) });
    }
  }

  return (
    <main class="lookup">
      <h1 class="sr-only">Customer look-up</h1>
      <form role="search" onSubmit={search} class="searchbar">
        <label for="lookup-q">Phone, email or loyalty number</label>
        <div class="row">
          <input
            id="lookup-q"
            ref={input}
            type="search"
            inputMode="text"
            autocomplete="off"
            spellcheck={false}
            placeholder="e.g. 0412 345 678, an email, LY123456"
            value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Find</button>
        </div>
      </form>
      <div aria-live="polite">
        {state.kind === "busy" && <p class="loading">Looking up…</p>}
        {state.kind === "error" && (
          <p role="alert" class="error">
            {state.message}
          </p>
        )}
        {state.kind === "miss" && <Miss typed={state.typed} reason={state.reason} onOpen={open} />}
        {state.kind === "found" && <CustomerCard card={state.card} cardRef={cardRef} who={who} />}
      </div>
    </main>
  );
}

function Miss({ typed, reason, onOpen }: { typed: string; reason: string; onOpen: (pid: string) => void }) {
  const [name, setName] = useState("");
  const [postcode, setPostcode] = useState("");
  const [rows, setRows] = useState<any[] | null>(null);
  const [error, setError] = useState("");
  async function find(e: Event) {
    e.preventDefault();
    setError("");
    try {
      const d = await gql<{ searchProfiles: { nodes: any[] } }>(BY_NAME, { name, postcode });
      setRows(d.searchProfiles.nodes);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }
  return (
    <section class="miss" data-testid="lookup-miss" aria-labelledby="miss-title">
      <h2 id="miss-title">No customer found for “{typed}”</h2>
      {reason && <p>{reason}</p>}
      <p>Check the number with the customer, or search by name and postcode:</p>
      <form onSubmit={find} class="name-search">
        <div>
          <label for="ns-name">Name</label>
          <input id="ns-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="ns-postcode">Postcode</label>
          <input
            id="ns-postcode"
            required
            inputMode="numeric"
            value={postcode}
            onInput={(e) => setPostcode((e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit">Search</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows && rows.length === 0 && <p>Nobody by that name in that postcode.</p>}
      {rows && rows.length > 0 && (
        <ul class="results">
          {rows.map((r) => (
            <li>
              <button type="button" class="result" onClick={() => onOpen(r.pid)}>
                <strong>
                  {r.givenName?.value} {r.familyName?.value}
                </strong>{" "}
                · {r.email?.value ?? "no email"} · {r.city?.value ?? ""} {r.postcode?.value ?? ""}
                {r.enrichment?.loyaltyTier ? ` · ${r.enrichment.loyaltyTier}` : ""}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Consent({ label, value }: { label: string; value: boolean | null }) {
  const text = value === true ? "yes" : value === false ? "no" : "unknown";
  return (
    <li class={`consent ${text}`}>
      <span>{label}</span> <strong>{text}</strong>
    </li>
  );
}

function CustomerCard({ card, cardRef, who }: { card: Card; cardRef: { current: HTMLElement | null }; who: Who }) {
  const e = card.enrichment;
  const name = [card.givenName?.value, card.familyName?.value].filter(Boolean).join(" ") || "Name unknown";
  const cats = Object.entries(e.categoryAffinity ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  const tickets = card.events.nodes.filter((ev) => ev.type === "service_ticket");
  return (
    <article class="card" data-testid="customer-card" data-pid={card.pid} ref={cardRef} tabIndex={-1} aria-labelledby="card-name">
      <header>
        <h2 id="card-name">{name}</h2>
        <p class="contact" data-testid="contact">
          <span aria-label="email">{card.email?.value ?? "no email"}</span> ·{" "}
          <span aria-label="phone">{card.phone?.value ?? "no phone"}</span>
          {card.city && ` · ${card.city.value}`}
        </p>
        {who.role !== "clienteling" && (
          <a href={`/app/profiles/${encodeURIComponent(card.pid)}`} onClick={(ev) => onLink(ev, `/profiles/${card.pid}`)}>
            Open the profile and its identity graph
          </a>
        )}
      </header>
      <dl class="facts">
        <div>
          <dt>Loyalty</dt>
          <dd data-testid="loyalty">
            {e.loyaltyTier ?? "not a member"}
            {e.loyaltyPoints != null && ` · ${Math.round(e.loyaltyPoints).toLocaleString()} pts`}
          </dd>
        </div>
        <div>
          <dt>Lifetime value</dt>
          <dd>{band(e.clvPercentile)}</dd>
        </div>
        <div>
          <dt>Churn risk</dt>
          <dd class={`risk ${(e.churnRisk ?? "").toLowerCase()}`}>{e.churnRisk ?? "unknown"}</dd>
        </div>
        <div>
          <dt>Prefers</dt>
          <dd>{e.preferredChannel ?? "unknown"}</dd>
        </div>
        <div>
          <dt>Spend</dt>
          <dd>
            {money(e.totalSpend)} over {e.ordersCount ?? 0} orders
          </dd>
        </div>
      </dl>
      <section aria-labelledby="cats">
        <h3 id="cats">Top categories</h3>
        {cats.length ? (
          <ul class="chips">
            {cats.map(([c, s]) => (
              <li>
                {c} <small>{pct(s)}</small>
              </li>
            ))}
          </ul>
        ) : (
          <p>No purchases yet.</p>
        )}
      </section>
      <section aria-labelledby="purchases">
        <h3 id="purchases">Last purchases</h3>
        {card.orders.nodes.length ? (
          <table class="purchases">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Where</th>
                <th scope="col">Categories</th>
                <th scope="col" class="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {card.orders.nodes.map((o) => (
                <tr>
                  <td>{date(o.placedAt)}</td>
                  <td>{o.channel === "store" ? `Store ${o.store ?? ""}` : "Online"}</td>
                  <td>{o.categories.join(", ")}</td>
                  <td class="num">{money(o.total, o.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>No purchases.</p>
        )}
      </section>
      <section aria-labelledby="tickets">
        <h3 id="tickets">Service tickets</h3>
        {tickets.length ? (
          <ul data-testid="tickets">
            {tickets.slice(0, 5).map((t) => (
              <li>Ticket opened {date(t.ts)}</li>
            ))}
          </ul>
        ) : (
          <p>No service tickets.</p>
        )}
      </section>
      <section aria-labelledby="consent">
        <h3 id="consent">Consent</h3>
        <ul class="consents">
          <Consent label="Email" value={e.unsubscribed ? false : e.consentEmail} />
          <Consent label="SMS" value={e.consentSms} />
        </ul>
      </section>
    </article>
  );
}
