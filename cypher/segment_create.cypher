// A new saved segment; returns no row when the id is taken.
OPTIONAL MATCH (old:Segment {id: $id})
WITH old
WHERE old IS NULL
CREATE (s:Segment {
  id: $id, name: $name, description: $description, definition_json: $definition_json,
  time_relative: $time_relative, created_at: $now, updated_at: $now, needs_full: true,
  member_count: 0
})
RETURN s {.*} AS segment
