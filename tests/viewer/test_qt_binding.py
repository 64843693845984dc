"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 on Python 3.11 drops a
reference to None on every call of a void C++ function, so a long session aborts with
"deallocating None"). On Python >= 3.12 None is immortal and the count does not move anyway."""
from __future__ import annotations

import sys


def test_void_qt_calls_keep_the_reference_count_of_none(qapp):
    before = sys.getrefcount(None)
    for _ in range(5000):
        qapp.processEvents()
    assert abs(sys.getrefcount(None) - before) < 100
