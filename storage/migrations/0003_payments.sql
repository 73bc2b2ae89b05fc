-- Telegram Stars purchases: one row per payment; the charge id makes crediting idempotent.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    telegram_payment_charge_id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    stars INTEGER NOT NULL CHECK (stars >= 0),
    credits INTEGER NOT NULL CHECK (credits >= 0),
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    refunded_at TEXT,
    refunded_by INTEGER,                 -- the admin's Telegram id
    refunded_credits INTEGER             -- what the refund could debit (at most the balance)
);

CREATE INDEX payments_user ON payments (user_id, id);

-- Who changed a balance by hand (grants, refunds of payments); NULL for the bot itself.
ALTER TABLE ledger ADD COLUMN admin_id INTEGER;

-- Set when sending to the user failed with 403 (they blocked the bot); cleared when they
-- write again. Broadcasts skip them meanwhile.
ALTER TABLE users ADD COLUMN unreachable_since TEXT;

CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,            -- where the report goes
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

-- Written for every recipient before the first message goes out. 'sending' is recorded
-- before each send, so a row still 'sending' after a crash is never sent again.
CREATE TABLE broadcast_deliveries (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    error TEXT,
    updated_at TEXT,
    PRIMARY KEY (broadcast_id, user_id)
);

CREATE INDEX broadcasts_unfinished ON broadcasts (id) WHERE finished_at IS NULL;

CREATE TABLE referral_codes (
    code TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE REFERENCES users (id)
);

-- A user is invited at most once; the inviter is rewarded at most once per invited user.
CREATE TABLE referrals (
    invitee_id INTEGER PRIMARY KEY REFERENCES users (id),
    inviter_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    rewarded_at TEXT,
    CHECK (inviter_id <> invitee_id)
);

CREATE INDEX referrals_unrewarded ON referrals (invitee_id) WHERE rewarded_at IS NULL;

-- When each kind of operator alert was last sent, so it goes out at most once an hour.
CREATE TABLE alerts (
    name TEXT PRIMARY KEY,
    sent_at TEXT NOT NULL
);
