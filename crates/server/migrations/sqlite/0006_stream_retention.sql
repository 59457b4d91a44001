-- Retention per stream (docs/protocol.md, "Limits"): the log keeps the newest
-- --event-retention events of each building ('b:<id>', building-wide events) and of each
-- person ('u:<id>', the events only they see), and none older than --event-retention-days.
-- How far each stream has been pruned: a cursor before `through` of one of its streams gets
-- resetRequired; one building's flood never moves another building's streams.
CREATE TABLE log_pruned_streams (
    stream     TEXT PRIMARY KEY,
    through    INTEGER NOT NULL,
    through_ts TEXT
);
