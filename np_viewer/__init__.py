"""Neural Parts Studio desktop viewer (PySide6 + pyvista/pyvistaqt).

Layers: ``document`` (plain Python + psygnal state), ``render`` (pyvista adapter that mirrors the
document into actors and owns no state), ``widgets`` (Qt panels that talk to the document only),
``session`` (runs loading and inference off the GUI thread and writes results into the document).
"""
import importlib.util as _importlib_util


def _preload_triton() -> None:
    """Load triton (shipped with CUDA builds of torch) before any OpenGL context exists.

    Mesa's software renderer (llvmpipe) and triton each carry their own LLVM; loading triton
    after llvmpipe crashes the process (segfault), which any lazy ``torch._dynamo`` import
    (activation checkpointing, DDP) would trigger once the viewer has rendered. Loading it
    first is harmless (~0.1 s) and a no-op where triton is absent (CPU builds).
    """
    if _importlib_util.find_spec("triton") is not None:
        try:
            import triton  # noqa: F401
        except Exception:  # noqa: BLE001 - a broken triton only matters to torch.compile
            pass


_preload_triton()
