"""Undo/redo: a linear stack of command objects (plain Python, no Qt).

A command stores the exact state before and after it (values, not deltas), so undoing and redoing
restores bit-identical matrices, colours and names however long the sequence. Every edit of a
document, from any widget, is a command pushed here: there is no other way to change a part.
"""
from __future__ import annotations

from typing import Protocol

from psygnal import Signal


class Command(Protocol):
    """What the history needs from an edit. ``redo`` applies it (also the first time), ``undo``
    reverts it; ``text`` is what the history panel shows."""

    text: str

    def redo(self) -> None: ...

    def undo(self) -> None: ...


def merge_key(command: Command) -> object | None:
    """A command with a ``merge_key`` (not None) may absorb the next command with the same key
    through its ``merge(other) -> bool`` (a slider drag is one entry; cf. QUndoCommand.mergeWith)."""
    return getattr(command, "merge_key", None)


class History:
    """``entries`` are the commands, oldest first; ``index`` is how many of them are applied.

    Signals: ``changed()`` after every push, undo, redo, merge or clear.
    """

    changed = Signal()

    def __init__(self, limit: int = 500) -> None:
        self._commands: list[Command] = []
        self._index = 0
        self.limit = limit

    # --- queries -----------------------------------------------------------------------------
    @property
    def entries(self) -> list[Command]:
        return list(self._commands)

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self._commands]

    @property
    def index(self) -> int:
        return self._index

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo() else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    def top(self) -> Command | None:
        """The last applied command, if it is also the newest (nothing to redo)."""
        return self._commands[-1] if self._commands and self._index == len(self._commands) else None

    # --- changes -----------------------------------------------------------------------------
    def push(self, command: Command) -> Command | None:
        """Apply ``command`` and record it, or
        merge it into the newest command when both have the same merge key (see :func:`merge_key`).
        A command whose ``is_noop()`` says it changes nothing is not recorded. Anything that could
        be redone is dropped. Returns the entry that holds the edit (None for a no-op)."""
        if getattr(command, "is_noop", None) is not None and command.is_noop():
            return None
        command.redo()
        top, key = self.top(), merge_key(command)
        if key is not None and top is not None and merge_key(top) == key and top.merge(command):
            self.changed.emit()
            return top
        del self._commands[self._index:]
        self._commands.append(command)
        if len(self._commands) > self.limit:
            del self._commands[: len(self._commands) - self.limit]
        self._index = len(self._commands)
        self.changed.emit()
        return command

    def undo(self) -> bool:
        if not self.can_undo():
            return False
        self._index -= 1
        self._commands[self._index].undo()
        self.changed.emit()
        return True

    def redo(self) -> bool:
        if not self.can_redo():
            return False
        self._commands[self._index].redo()
        self._index += 1
        self.changed.emit()
        return True

    def goto(self, index: int) -> None:
        """Undo or redo until exactly ``index`` commands are applied (the history panel's click)."""
        index = max(0, min(index, len(self._commands)))
        while self._index > index:
            self.undo()
        while self._index < index:
            self.redo()

    def state(self) -> tuple[list[Command], int]:
        """The commands and how many are applied (for :meth:`restore`)."""
        return list(self._commands), self._index

    def restore(self, state: tuple[list[Command], int]) -> None:
        """Put back a :meth:`state`; nothing is run (the parts are already in that state)."""
        commands, index = state
        self._commands, self._index = list(commands), max(0, min(int(index), len(commands)))
        self.changed.emit()

    def clear(self) -> None:
        if self._commands or self._index:
            self._commands, self._index = [], 0
            self.changed.emit()
