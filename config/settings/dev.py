"""Embedded mode for `make run`: one machine, no server, DEBUG on unless told otherwise."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
