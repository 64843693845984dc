"""np-infer's output folders: one per input, named stably, listed in ``OUT/np-infer.json``.

A folder is named after its input, kept readable (Unicode letters stay, as in np-prepare's
shape folders). A name that had to be changed to be a safe folder name gets a short hash of
the original ("a b" -> ``a_b-<hash>``), so it never lands on another input's folder
("a_b" -> ``a_b``), whatever else is in the batch. Inputs of one batch that would still share
a folder (``x/chair.obj`` and ``y/chair.obj``) all get a hash of their path. The manifest
records which input each folder holds; later runs into the same folder update it.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from ..data.prepared import safe_component
from ..fsutil import write_text

MANIFEST_NAME = "np-infer.json"
MANIFEST_FORMAT = "neural-parts-studio/np-infer-outputs"
# What np-infer writes in a shape folder; on --overwrite, files of an earlier run that match
# these and are not rewritten now (another --layout or --format) are removed.
OUTPUT_PATTERNS = ("part_*", "parts.*", "union.*", "segment_*", "segments.*", "assembly.npasm")


def _tag(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def folder_name(name: str) -> str:
    """A safe folder name for a shape called ``name``, the same in every batch."""
    safe = safe_component(name)
    return safe if safe == name else f"{safe}-{_tag(name)}"


def output_names(refs: Sequence) -> list[str]:
    """Folder names for ``refs`` (``ShapeRef``: ``.name``, ``.path``): stable and unique."""
    names = [folder_name(r.name) for r in refs]
    counts = Counter(names)
    return [n if counts[n] == 1 else f"{n}-{_tag(str(Path(r.path).resolve()))}" for n, r in zip(names, refs)]


def remove_stale_outputs(folder: Path, kept: Iterable[Path]) -> None:
    """After an --overwrite run: remove this folder's np-infer outputs that were not rewritten."""
    keep = {Path(p).resolve() for p in kept}
    for pattern in OUTPUT_PATTERNS:
        for path in folder.glob(pattern):
            if path.resolve() in keep or path.name.startswith("."):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


class OutputsManifest:
    """``OUT/np-infer.json``: input -> folder (and its files), merged with earlier runs."""

    def __init__(self, out_dir: Path, checkpoint: str):
        self.path = Path(out_dir) / MANIFEST_NAME
        self.checkpoint = checkpoint
        self.entries: dict[str, dict] = {}
        try:
            doc = json.loads(self.path.read_text())
            for e in doc.get("shapes", []):
                self.entries[str(e["output"])] = dict(e)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # none yet, or unreadable: rebuilt from this run
        self._changed = False

    def add(self, source: str, folder: str, files: Iterable[Path], choice=None) -> None:  # noqa: ANN001
        """``choice``: the ``bundled.Choice`` that picked this shape's model (no checkpoint given)."""
        root = self.path.parent
        self.entries[folder] = {"input": str(Path(source).resolve()), "output": folder,
                                "checkpoint": str(Path(choice.path).resolve()) if choice else self.checkpoint,
                                "files": sorted(str(Path(f).relative_to(root / folder)) for f in files)}
        if choice is not None:
            self.entries[folder]["model_choice"] = choice.to_json()
        self._changed = True

    def complete(self, source: str, folder: str) -> bool:
        """Whether ``folder`` holds a finished earlier result for ``source`` (all its files there)."""
        entry = self.entries.get(folder)
        if not entry or entry.get("input") != str(Path(source).resolve()):
            return False
        root = self.path.parent / folder
        return bool(entry.get("files")) and all((root / f).exists() for f in entry["files"])

    def write(self) -> None:
        if not self._changed:
            return
        doc = {"format": MANIFEST_FORMAT, "version": 1,
               "shapes": [self.entries[k] for k in sorted(self.entries)]}
        write_text(self.path, json.dumps(doc, indent=1, ensure_ascii=False))


__all__ = ["MANIFEST_NAME", "OutputsManifest", "folder_name", "output_names", "remove_stale_outputs"]
