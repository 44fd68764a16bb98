// Email identifiers written before they carried their SHA-256: a page to backfill.
MATCH (i:Identifier {type: 'email'})
WHERE i.sha256 IS NULL
RETURN i.key AS key, i.value AS value
LIMIT $page
