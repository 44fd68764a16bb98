CREATE CONSTRAINT syncmember_key_unique IF NOT EXISTS FOR (n:SyncMember) REQUIRE n.key IS UNIQUE
