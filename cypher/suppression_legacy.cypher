// Entries written before suppression hashes were keyed (plain SHA-256, no scheme).
MATCH (s:Suppression)
WHERE s.scheme IS NULL
RETURN s.hash AS hash
