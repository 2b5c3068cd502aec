"""The test settings plus the bench-only app holding the bare flow (a Viewflow flow must live in an installed app)."""

from config.settings.test import *  # noqa: F401,F403
from config.settings.test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.bare_lifecycle"]
