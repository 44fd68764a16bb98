// Store a model or enrichment state; `version` counts the times it was replaced.
MERGE (m:Model {id: $id})
SET m += $props,
    m.version = coalesce(m.version, 0) + 1
RETURN m.version AS version
