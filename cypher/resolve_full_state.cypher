// The state the last completed full resolution recorded (`matching.full_state`): the
// fingerprint of its rules, model and code, and when; no row when none is recorded (or an
// erasure or a resolution's writes forgot it since). A dirty record too means a full run
// has something to do.
OPTIONAL MATCH (s:ResolveState {id: 'full'})
RETURN s.fingerprint AS fingerprint, s.recorded_at AS recorded_at,
       EXISTS { MATCH (r:Record) WHERE r.dirty = true } AS dirty
