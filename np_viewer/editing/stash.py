"""Edits survive switching shapes: when the scene on screen is replaced, its edited parts,
undo history and mesh sources are kept in memory under (model, shape, mesh level); when that
scene comes back (the user steps back to the shape, or the gallery opens it), they replace the
fresh prediction, so nothing the user did is lost by browsing."""
from __future__ import annotations

from dataclasses import dataclass

from ..document import Assembly
from ..document.history import History


@dataclass
class _Kept:
    parts: list
    history: tuple
    sources: dict[int, str]


class EditStash:
    def __init__(self, assembly: Assembly, history: History, sources: dict[int, str]) -> None:
        self.assembly, self.history, self.sources = assembly, history, sources
        self._kept: dict[tuple, _Kept] = {}
        self._restoring = False
        assembly.about_to_reset.connect(self._keep)

    @property
    def restoring(self) -> bool:
        """True while a kept scene is being put back (its history is restored after the parts)."""
        return self._restoring

    def __len__(self) -> int:
        return len(self._kept)

    def _key(self) -> tuple | None:
        """Only predicted scenes: one opened from an assembly file is that file's business."""
        info = self.assembly.info
        if not info.shape_path or "assembly" in info.extra:
            return None
        return info.extra.get("model_key", info.model_name), info.shape_path, info.resolution

    def _keep(self) -> None:
        key = self._key()
        if self._restoring or key is None or not self.history.entries:
            return
        self._kept[key] = _Kept(list(self.assembly.parts), self.history.state(), dict(self.sources))

    def restore(self) -> str:
        """After a reset: put back what was kept for the new scene, if anything; returns a
        sentence for the status bar ("" when nothing was kept)."""
        key = self._key()
        kept = self._kept.pop(key, None) if key is not None and not self._restoring else None
        if kept is None:
            return ""
        self._restoring = True
        try:
            self.assembly.set_scene(kept.parts, self.assembly.input, self.assembly.info, keep_display=False)
        finally:
            self._restoring = False
        self.history.restore(kept.history)
        self.sources.update(kept.sources)
        n = kept.history[1]
        return (f"{self.assembly.info.shape_name}: your {n} edit{'s' if n != 1 else ''} to this shape "
                f"{'are' if n != 1 else 'is'} back (Undo steps through them)")
