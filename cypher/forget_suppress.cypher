// Suppression entries: keyed hashes that ingestion refuses, so the person does not come back.
UNWIND $hashes AS h
MERGE (s:Suppression {hash: h})
ON CREATE SET s.created_at = $now, s.reason = $reason
SET s.scheme = $scheme
RETURN count(*) AS written
