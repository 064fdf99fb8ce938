"""How a resource setting is resolved: configured value, else its environment variable, else the default.

The Definitions configure nothing from the environment when they are imported (loading them twice
gives the same Definitions); a resource reads its documented environment variable only when a run,
sensor or command uses it. A value configured explicitly (tests, the launchpad) always wins.
"""

from __future__ import annotations

import os


def resolved(configured: str | None, env_name: str, default: str | None) -> str | None:
    if configured is not None:
        return configured
    return os.environ.get(env_name) or default
