// A changed definition invalidates the materialised membership: the next refresh is full.
MATCH (s:Segment {id: $id})
SET s.name = coalesce($name, s.name),
    s.description = coalesce($description, s.description),
    s.definition_json = coalesce($definition_json, s.definition_json),
    s.time_relative = coalesce($time_relative, s.time_relative),
    s.needs_full = CASE WHEN $definition_json IS NULL THEN s.needs_full ELSE true END,
    s.updated_at = $now
RETURN s {.*} AS segment
