// Profiles resolution marked for enrichment (records merged, split or changed).
MATCH (p:Profile)
WHERE p.enrich_dirty IS NOT NULL AND p.retired IS NULL
RETURN p.pid AS pid
