"""Calibrates the viewer's "far from what the model knows" threshold (np_viewer.session.FAR_FROM_MODEL).

For each shape: Chamfer-L1 (the evaluation code's definition) between the surface of the union
of the parts predicted by the model the app gives it (``trainer.inference.bundled.choose_model``:
its category's bundled model, else the closest of them) and the input's surface samples,
exactly as the viewer computes it (``np_viewer.session.input_distance``). Shapes: the bundled
samples (held out from each model's training data), and the third-party meshes in
../shared/data (no category: the closest model). ``--model humanoid`` scores every shape with
that one bundled model instead (what the app did before it had one model per family).

    .venv/bin/python -m benchmarks.far_from_model [--model CATEGORY]
"""
from __future__ import annotations

import argparse

from benchmarks.common import ROOT, SHARED_DATA


def main(argv: list[str] | None = None) -> None:
    from np_viewer.session import FAR_FROM_MODEL, input_distance
    from trainer.inference import Predictor, list_shapes, load_shape
    from trainer.inference.bundled import bundled_models, choose_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="score every shape with this category's bundled model")
    args = parser.parse_args(argv)
    models = bundled_models()
    predictors = {cat: Predictor(path, device="cpu") for cat, path in models.items()}
    rows = []
    for ref in list_shapes(ROOT / "assets" / "shapes"):
        rows.append((f"bundled {ref.category}", ref.name, load_shape(ref.path, category=ref.category)))
    for path in sorted(SHARED_DATA.glob("*.obj")):
        rows.append(("third-party mesh", path.stem, load_shape(str(path))))
    print(f"threshold FAR_FROM_MODEL = {FAR_FROM_MODEL}\n")
    print("| shape | kind | model | Chamfer-L1 to input | far? |")
    print("|---|---|---|---|---|")
    for kind, name, shape in rows:
        category = args.model or choose_model(shape, models, load=lambda p: predictors[p.stem]).category
        predictor = predictors[category]
        d = input_distance(predictor, predictor.predict(shape, 3), shape)
        far = "yes" if d is not None and d > FAR_FROM_MODEL else "no"
        print(f"| {name} | {kind} | {models[category].name} | {d:.4f} | {far} |")


if __name__ == "__main__":
    main()
