"""How castbot spends each provider key's budget on running jobs.

- `expectations`: how long each tool and model takes, learned from finished jobs.
- `polls`: one scheduler per provider key decides when each running job is polled.
- `starts`: a queue, fair across users, for generation starts when the budget is spent.
- `traffic`: the pieces above (and single-flight uploads) as the job engine uses them.

The budget itself (requests per window, priorities) is `providers.ratelimit.RateBudget`;
uploads of one file by concurrent jobs are made single-flight by `bot.uploads`.
"""
