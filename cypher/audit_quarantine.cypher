// The audit's quarantine: rows per source, kind and reason. A reason is "reason" or
// "reason:field"; a reader's message after "reason: " is left out (it varies per row).
MATCH (q:Quarantine)
WITH q, split(q.reason, ':') AS parts
WITH q.source AS source,
     q.kind AS kind,
     parts[0] AS reason,
     CASE WHEN size(parts) > 1 AND NOT parts[1] STARTS WITH ' '
       THEN substring(q.reason, size(parts[0]) + 1) END AS field
RETURN source, kind, reason, field, count(*) AS rows
ORDER BY source, rows DESC, reason, field
