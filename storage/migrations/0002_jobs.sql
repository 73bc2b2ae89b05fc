ALTER TABLE users ADD COLUMN terms_accepted_at TEXT;

-- One row per paid action; it holds everything needed to resume the job after a crash.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,                 -- also the provider Idempotency-Key
    user_id INTEGER NOT NULL REFERENCES users (id),
    chat_id INTEGER NOT NULL,
    tool TEXT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN (
        'quoted', 'reserved', 'submitted', 'succeeded', 'failed', 'partial', 'delivered',
        'declined'
    )),
    spec TEXT NOT NULL,                  -- JSON: Telegram file ids and tool options
    price INTEGER NOT NULL CHECK (price >= 0),
    generation_id TEXT,
    status_message_id INTEGER,
    status_text TEXT,
    outputs TEXT,                        -- JSON list of output URLs
    error TEXT,                          -- why it failed, safe to show the user
    refunded INTEGER NOT NULL DEFAULT 0,
    delivered_message_ids TEXT,          -- JSON list
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    deadline_at TEXT,
    lease_owner TEXT,
    lease_expires_at TEXT
);

CREATE INDEX jobs_unfinished ON jobs (state) WHERE state NOT IN ('delivered', 'declined');
CREATE INDEX jobs_user ON jobs (user_id, created_at);
-- A job is refunded at most once, however often settlement runs.
CREATE UNIQUE INDEX ledger_one_refund_per_job ON ledger (job_id) WHERE kind = 'refund';

-- Provider asset ids keyed by Telegram's file_unique_id: the same photo is uploaded once.
CREATE TABLE asset_cache (
    provider TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider, file_unique_id)
);
