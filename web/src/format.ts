export function date(iso: string | null | undefined): string {
  if (!iso) return "—";
  return iso.slice(0, 10);
}

export function money(v: number | null | undefined, currency?: string | null): string {
  if (v == null) return "—";
  const amount = v.toLocaleString("en-AU", { maximumFractionDigits: 0 });
  return currency && currency !== "AUD" ? `${amount} ${currency}` : `$${amount}`;
}

export function pct(v: number | null | undefined): string {
  return v == null ? "—" : `${Math.round(v * 100)}%`;
}

/** The lifetime-value band an associate can act on, from the CLV percentile in (0, 1]. */
export function band(p: number | null | undefined): string {
  if (p == null) return "unknown";
  if (p >= 0.9) return "Top 10%";
  if (p >= 0.7) return "High";
  if (p >= 0.3) return "Medium";
  return "Low";
}
