CREATE INDEX syncmember_state_idx IF NOT EXISTS FOR (n:SyncMember) ON (n.state)
