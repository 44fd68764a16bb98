UNWIND $rows AS row
MERGE (p:Profile {pid: row.pid})
ON CREATE SET p.created_at = $now
SET p += row.props,
    p.retired = null,
    p.resolved_at = $now,
    p.enrich_dirty = true
