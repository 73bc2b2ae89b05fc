-- When a job was charged: its deadline counts from then, not from the quote.
ALTER TABLE jobs ADD COLUMN reserved_at TEXT;
-- Work only one unfinished job may do at a time (an actor's training of one kind), or NULL.
ALTER TABLE jobs ADD COLUMN exclusive_key TEXT;
-- JSON object: each send of the delivery (an output, its file copy, the result card, the
-- failure notice) -> the message ids Telegram gave it. Written as each send is made, so a
-- retry or a restart never makes a send twice.
ALTER TABLE jobs ADD COLUMN deliveries TEXT;

UPDATE jobs SET reserved_at = created_at WHERE state NOT IN ('quoted', 'declined');
-- A job charged but not yet submitted had no deadline before; give it the longest a tool has.
UPDATE jobs SET deadline_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+2 hours')
    WHERE deadline_at IS NULL AND state IN ('reserved', 'submitted', 'succeeded', 'failed', 'partial');
UPDATE jobs SET deliveries = json_object('before-0005', json(delivered_message_ids))
    WHERE delivered_message_ids IS NOT NULL;
ALTER TABLE jobs DROP COLUMN delivered_message_ids;

UPDATE jobs SET exclusive_key = tool || ':' || json_extract(spec, '$.options.actor_id')
    WHERE tool IN ('actor_likeness', 'actor_voice') AND state NOT IN ('delivered', 'declined');
-- Two trainings of one actor may already be running (what the index below now forbids):
-- the older keeps the key.
UPDATE jobs SET exclusive_key = NULL
    WHERE exclusive_key IS NOT NULL
    AND state IN ('reserved', 'submitted', 'succeeded', 'failed', 'partial')
    AND EXISTS (
        SELECT 1 FROM jobs AS older
        WHERE older.exclusive_key = jobs.exclusive_key
        AND older.state IN ('reserved', 'submitted', 'succeeded', 'failed', 'partial')
        AND (older.created_at, older.id) < (jobs.created_at, jobs.id)
    );

-- The reserve transaction sets the state; a second unfinished job with the key fails it.
CREATE UNIQUE INDEX jobs_one_exclusive ON jobs (exclusive_key)
    WHERE exclusive_key IS NOT NULL
    AND state IN ('reserved', 'submitted', 'succeeded', 'failed', 'partial');
-- Counting a user's unfinished jobs, in the reserve transaction.
CREATE INDEX jobs_user_unfinished ON jobs (user_id)
    WHERE state IN ('reserved', 'submitted', 'succeeded', 'failed', 'partial');
