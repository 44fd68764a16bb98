// Profiles written since $since by resolution (resolved_at, retired_at) or enrichment
// (enriched_at), in slices of $chunk. Timestamps are ISO text ("YYYY-MM-DDTHH:MM:SSZ") or
// zoned datetimes.
WITH datetime($since) AS since
MATCH (p:Profile)
WITH p, since, [t IN [p.resolved_at, p.enriched_at, p.retired_at] WHERE t IS NOT NULL |
  CASE WHEN t IS :: STRING THEN datetime(t) WHEN t IS :: ZONED DATETIME THEN t ELSE null END
] AS times
WHERE any(t IN times WHERE t >= since)
WITH collect(p.pid) AS pids
UNWIND range(0, size(pids) - 1, $chunk) AS i
RETURN pids[i..i + $chunk] AS pids
