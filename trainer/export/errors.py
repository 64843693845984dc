"""Errors a user can cause while exporting or opening files: each carries one clear sentence."""
from __future__ import annotations

from pathlib import Path


class ExportError(Exception):
    """Writing an export failed (bad path, no permission, disk full, bad input mesh)."""


class ExportExistsError(ExportError):
    """The target file(s) already exist and ``overwrite`` was not given.

    The GUI catches this one to ask "replace?" and then calls again with ``overwrite=True``.
    """

    def __init__(self, paths: list[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        if len(self.paths) == 1:
            msg = f"{self.paths[0]} already exists; confirm to replace it."
        else:
            names = ", ".join(str(p) for p in self.paths[:3])
            more = f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else ""
            msg = f"{len(self.paths)} files already exist ({names}{more}); confirm to replace them."
        super().__init__(msg)


class AssemblyFileError(ExportError):
    """A saved assembly could not be read (missing file, bad JSON, unsupported version)."""
