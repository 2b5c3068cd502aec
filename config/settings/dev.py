"""Embedded mode for `make run`: one machine, no server, DEBUG on unless told otherwise."""

from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)

VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, the broker folders and e-mails live here
