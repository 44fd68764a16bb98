// The reference loader with what the pipeline keeps of each row (bench/ingest.py --lineage):
// the bare loader's nodes and edges, plus the lineage and bookkeeping properties
// `cypher/ingest_records_new.cypher` writes (raw row, content hash, batch, file and row,
// times, the dirty mark; an identifier's sha256; a link's first and last sighting), so that
// the same indexes are kept up to date. No hash lookup, progress or quarantine: what is left
// between this loader and the pipeline is the pipeline's work, not what it stores.
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
ON CREATE SET
  r += row.props,
  r += {source: row.source, source_id: row.source_id, created_at: $now, first_batch_id: $batch_id,
      hash: row.hash, raw: row.raw, issues: [], batch_id: $batch_id, file: row.file,
      row: row.row, updated_at: $now, dirty: true}
WITH r, row
UNWIND row.identifiers AS l
MERGE (i:Identifier {key: l.key})
ON CREATE SET i.type = l.type, i.value = l.value, i.created_at = $now, i.sha256 = l.sha256
MERGE (r)-[h:HAS_IDENTIFIER]->(i)
ON CREATE SET h.batch_id = $batch_id
