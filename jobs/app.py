"""The application object: settings loaded once, and the pieces built from them on demand.

Tests call ``create_app`` with their own config path and data dir (like a Flask factory).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from reporting.config import Settings, load_settings
from reporting.workspace import Workspace


@dataclass
class App:
    settings: Settings

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace(self.settings.data_dir)

    @cached_property
    def tasks(self):
        from reporting.tasks import load_tasks

        return load_tasks(self.settings.paths.tasks)

    @cached_property
    def registry(self):
        from reporting.registry import Registry

        return Registry.load(self.settings.paths.units, self.settings.registry)

    @cached_property
    def assignments(self):
        from reporting.assignments import Assignments

        return Assignments(self.tasks, self.registry)

    def ledger(self):
        """A new ledger connection (use as a context manager)."""
        from reporting.ledger import Ledger

        return Ledger(self.workspace.ledger_path)


def create_app(
    config: Path | str | None = None, data_dir: Path | str | None = None, env=None
) -> App:
    settings = load_settings(config, env=env)
    if data_dir is not None:
        settings.paths.data_dir = Path(data_dir).resolve()
    return App(settings)
