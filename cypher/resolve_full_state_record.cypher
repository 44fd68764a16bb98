// A full resolution completed: its fingerprint is recorded, written only when it is not the
// one stored already (a full run that changed nothing writes nothing).
OPTIONAL MATCH (old:ResolveState {id: 'full'})
WITH old
WHERE old IS NULL OR old.fingerprint <> $fingerprint
MERGE (s:ResolveState {id: 'full'})
SET s.fingerprint = $fingerprint, s.recorded_at = $now
