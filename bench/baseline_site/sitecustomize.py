"""Python loads this at start-up in the baseline bot's process only (its PYTHONPATH alone
names this folder).

The baseline predates ZENCREATOR_RATE_WINDOW: its budget always counts 60-second windows.
The benchmark scales the window down on both sides, so the baseline's budget gets the
window of the fake server here, which is what that setting does in the current code.
"""

import os

from providers import ratelimit

_window = float(os.environ["ZENCREATOR_RATE_WINDOW"])
_original_init = ratelimit.RateBudget.__init__


def _init_with_the_window(self, limits=None, window=_window, **kwargs):  # type: ignore[no-untyped-def]
    _original_init(self, limits, window, **kwargs)


ratelimit.RateBudget.__init__ = _init_with_the_window  # type: ignore[method-assign]
