-- Monthly plans paid with Telegram Stars subscriptions. Every link is made for one user and
-- plan with a payload of its own, so a renewal (which repeats the payload) finds its row.
-- The first payment's charge id is what names the subscription to Telegram
-- (editUserStarSubscription).
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    payload TEXT NOT NULL UNIQUE,
    charge_id TEXT NOT NULL UNIQUE,
    credits INTEGER NOT NULL CHECK (credits >= 0),
    stars INTEGER NOT NULL CHECK (stars > 0),
    expires_at TEXT NOT NULL,            -- the end of the period paid for so far
    canceled INTEGER NOT NULL DEFAULT 0, -- renewal turned off through the bot
    created_at TEXT NOT NULL
);

CREATE INDEX subscriptions_user ON subscriptions (user_id, expires_at);

-- Each payment of a plan (the first and every renewal) is a payment row of its own, credited
-- once per charge id like a pack, that names its subscription.
ALTER TABLE payments ADD COLUMN subscription_id INTEGER REFERENCES subscriptions (id);

-- Promo codes an admin creates; `uses` counts redemptions and never passes `max_uses`.
CREATE TABLE promo_codes (
    code TEXT PRIMARY KEY,               -- upper case
    credits INTEGER NOT NULL CHECK (credits > 0),
    max_uses INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT,
    created_by INTEGER NOT NULL,         -- the admin's Telegram id
    created_at TEXT NOT NULL,
    CHECK (max_uses IS NULL OR uses <= max_uses)
);

-- A user redeems each code at most once.
CREATE TABLE promo_redemptions (
    code TEXT NOT NULL REFERENCES promo_codes (code),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (code, user_id)
);
