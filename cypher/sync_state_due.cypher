// Links whose interval has elapsed since their last run started (or that never ran).
MATCH (st:SyncState)
WHERE st.enabled = true AND st.interval_seconds IS NOT NULL AND st.running_run IS NULL
  AND (st.last_started_at IS NULL
       OR datetime(st.last_started_at) + duration({seconds: st.interval_seconds})
          <= datetime($now))
RETURN st {.*} AS state
ORDER BY coalesce(st.last_started_at, ''), st.id
