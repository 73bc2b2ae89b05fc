-- The one flow a user is in: the tool, the step, and what was collected so far, so that a
-- restart loses no step. Deleted when the flow ends (ordered, cancelled, idle).
CREATE TABLE flows (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    chat_id INTEGER NOT NULL,
    tool TEXT NOT NULL,                  -- a catalog entry's name, or 'menu' (the photo menu)
    step INTEGER NOT NULL,               -- the input asked for; -1 while the terms are shown
    priced INTEGER NOT NULL DEFAULT 0,   -- that question showed the job's final price
    inputs TEXT NOT NULL,                -- JSON: input name -> files or text; null if skipped
    options TEXT NOT NULL,               -- JSON: option field -> value chosen for this job
    measures TEXT NOT NULL,              -- JSON: what was measured from the inputs
    message_id INTEGER,                  -- the message whose keyboard is live
    revision INTEGER NOT NULL,           -- carried by that keyboard's buttons
    view TEXT NOT NULL DEFAULT '',       -- which keyboard it shows (an option's values...)
    offered TEXT NOT NULL DEFAULT '[]',  -- JSON: what its numbered buttons stand for
    quote_job_id TEXT,                   -- the quoted job, once every input is in
    album TEXT,                          -- the media_group_id being collected
    updated_at TEXT NOT NULL
);

-- The last revision given to a user's flows, kept when a flow ends, so that a button of an
-- ended flow never matches the next one.
CREATE TABLE flow_revisions (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    revision INTEGER NOT NULL
);

-- Per-user defaults (/settings), as a JSON object of setting -> value.
CREATE TABLE user_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    settings TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- When the user confirmed they are 18 or older (NSFW models need it, and ALLOW_NSFW).
ALTER TABLE users ADD COLUMN adult_confirmed_at TEXT;
