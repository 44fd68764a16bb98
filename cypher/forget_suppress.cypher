// Suppression entries: hashes that ingestion refuses, so the person does not come back.
UNWIND $hashes AS h
MERGE (s:Suppression {hash: h})
ON CREATE SET s.created_at = $now, s.reason = $reason
RETURN count(*) AS written
