"""Embedded mode for `make run`: one machine, no server. DEBUG stays off unless asked (DEBUG=1), so a user never
sees a traceback: errors get the site's 500 page with an incident reference, and the log has the traceback."""

from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=False)
# Static files straight from the source folders (no collectstatic step), whether DEBUG is on or off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, the broker folders and e-mails live here
