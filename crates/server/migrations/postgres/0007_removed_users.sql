-- `ppt-server user remove`: a resident who moved out. The account keeps its history (the
-- messages, faults and ballots that name it) but no longer signs in, is no neighbour, and
-- receives no messages; its email stays taken. NULL: a current resident.
ALTER TABLE users ADD COLUMN removed_at TEXT;
