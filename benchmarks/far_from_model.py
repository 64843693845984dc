"""Calibrates the viewer's "far from what the model knows" threshold (np_viewer.session.FAR_FROM_MODEL).

For each shape: Chamfer-L1 (the evaluation code's definition) between the surface of the union
of the parts the bundled default model predicts and the input's surface samples, exactly as the
viewer computes it (``np_viewer.session.input_distance``). Shapes: the bundled samples (the
default model was trained on humanoids; the chair and airplane samples are outside its training
set) and the third-party meshes in ../shared/data.

    .venv/bin/python -m benchmarks.far_from_model
"""
from __future__ import annotations

from benchmarks.common import ROOT, SHARED_DATA


def main() -> None:
    from np_viewer.session import FAR_FROM_MODEL, input_distance
    from trainer.inference import Predictor, list_shapes, load_shape

    from trainer.inference.bundled import DEFAULT_MODEL
    predictor = Predictor(DEFAULT_MODEL, device="cpu")
    rows = []
    for ref in list_shapes(ROOT / "assets" / "shapes"):
        rows.append((f"bundled {ref.category}", ref.name, load_shape(ref.path, category=ref.category)))
    for path in sorted(SHARED_DATA.glob("*.obj")):
        rows.append(("third-party mesh", path.stem, load_shape(str(path))))
    print(f"threshold FAR_FROM_MODEL = {FAR_FROM_MODEL}\n")
    print("| shape | kind | Chamfer-L1 to input | far? |")
    print("|---|---|---|---|")
    for kind, name, shape in rows:
        d = input_distance(predictor, predictor.predict(shape, 3), shape)
        print(f"| {name} | {kind} | {d:.4f} | {'yes' if d is not None and d > FAR_FROM_MODEL else 'no'} |")


if __name__ == "__main__":
    main()
