// A legacy entry takes its keyed hash; when that entry exists already, the legacy one goes.
UNWIND $rows AS row
MATCH (s:Suppression {hash: row.old})
WHERE s.scheme IS NULL
OPTIONAL MATCH (t:Suppression {hash: row.new})
FOREACH (_ IN CASE WHEN t IS NULL THEN [1] ELSE [] END |
  SET s.hash = row.new, s.scheme = $scheme, s.migrated_at = $now)
FOREACH (_ IN CASE WHEN t IS NULL THEN [] ELSE [1] END | DELETE s)
RETURN count(*) AS migrated
