-- Actors: a user's saved characters (face photos, a voice sample, their trainings).
-- AUTOINCREMENT so a deleted actor's id is never reused: a stale button or message that
-- names an old actor id must not reach a newer actor.
CREATE TABLE actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
    -- The name folded in Python (NFKC + casefold): SQLite's NOCASE and lower() fold ASCII
    -- only, and a name in Cyrillic must be as unique as one in Latin letters.
    name_key TEXT NOT NULL,
    voice_file_id TEXT,
    voice_file_unique_id TEXT,
    voice_seconds REAL CHECK (voice_seconds IS NULL OR voice_seconds >= 0),
    voice_filename TEXT,
    voice_mime_type TEXT,
    created_at TEXT NOT NULL,
    -- A voice sample is stored whole or not at all.
    CHECK (
        (voice_file_id IS NULL) = (voice_file_unique_id IS NULL)
        AND (voice_file_id IS NULL) = (voice_seconds IS NULL)
        AND (voice_file_id IS NULL) = (voice_filename IS NULL)
        AND (voice_file_id IS NULL) = (voice_mime_type IS NULL)
    )
);

-- Names are unique per user, ignoring case; the index also serves lookups by user.
CREATE UNIQUE INDEX actors_user_name ON actors (user_id, name_key);

-- Face photos in order; position 0 is the primary one.
CREATE TABLE actor_photos (
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    file_id TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    PRIMARY KEY (actor_id, position),
    UNIQUE (actor_id, file_unique_id)
);

-- At most one training of each kind per actor; a new one replaces the old row, and the
-- job_id tells the current job from a stale one.
CREATE TABLE actor_trainings (
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('likeness', 'voice')),
    provider TEXT NOT NULL,
    job_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('training', 'trained', 'failed')),
    remote_id TEXT,                      -- the provider's model id, LoRA path or voice id
    trigger_word TEXT,
    progress REAL CHECK (progress IS NULL OR progress BETWEEN 0 AND 1),
    remaining_seconds INTEGER CHECK (remaining_seconds IS NULL OR remaining_seconds >= 0),
    stage TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (actor_id, kind)
);
