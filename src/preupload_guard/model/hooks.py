"""The pluggy markers of preupload-guard's hooks.

``hookimpl`` is what every plugin (the built-in checks included) decorates its hook
functions with; ``hookspec`` marks the specifications in :mod:`preupload_guard.engine.hookspecs`.
They live at the bottom of the house so that a check can declare itself without importing
the engine that calls it.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "preupload_guard"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
