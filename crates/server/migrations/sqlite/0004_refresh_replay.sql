-- The generation whose spent token was answered once more within the reuse interval (a lost
-- refresh answer); NULL until that happens. A second replay of it ends the session.
ALTER TABLE sessions ADD COLUMN replayed_generation INTEGER;
