CREATE TABLE users (
    id INTEGER PRIMARY KEY,              -- the Telegram user id
    name TEXT NOT NULL DEFAULT '',
    language TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

-- Append-only: every change to a balance is one row, written in the same transaction.
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    amount INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('welcome', 'charge', 'refund', 'purchase', 'grant')),
    job_id TEXT,
    note TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX ledger_user ON ledger (user_id, id);
-- The welcome grant happens once per user, however often /start is sent.
CREATE UNIQUE INDEX ledger_one_welcome ON ledger (user_id) WHERE kind = 'welcome';
