-- How long a provider took for each tool and model, learned from the jobs it finished: what
-- the poll scheduler expects of the next one (bot/scheduler/expectations.py).
CREATE TABLE tool_durations (
    provider TEXT NOT NULL,
    tool TEXT NOT NULL,
    model TEXT NOT NULL,                 -- '' for a tool without a model option
    seconds REAL NOT NULL CHECK (seconds > 0),
    samples INTEGER NOT NULL CHECK (samples > 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (provider, tool, model)
);
