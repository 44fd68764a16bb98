// Update properties of stored enrichment state without counting a new version.
MERGE (m:Model {id: $id})
SET m += $props
