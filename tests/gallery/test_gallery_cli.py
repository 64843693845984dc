"""``np-viewer --gallery RxC --screenshot FILE.png`` (cli_gallery): writes the picture and returns."""
from __future__ import annotations

import imageio.v3 as iio

from np_viewer.render.pixels import colour_mask
from trainer.palette import part_colour


def test_gallery_screenshot_shows_every_primitive_colour(qapp, tiny_checkpoint, tiny_dataset, tmp_path, capsys):
    from np_viewer.gallery import cli_gallery
    out = tmp_path / "gallery.png"
    rc = cli_gallery(2, 3, tiny_checkpoint, tiny_dataset, screenshot=out, size=(900, 600))
    assert rc == 0, capsys.readouterr().err
    img = iio.imread(out)
    assert img.shape[:2] == (600, 900)
    for k in range(4):
        assert colour_mask(img, part_colour(k)).sum() > 50, f"primitive {k} not visible"


def test_gallery_screenshot_errors_name_the_file_and_write_nothing(qapp, tiny_dataset, tmp_path, capsys):
    from np_viewer.gallery import cli_gallery
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    out = tmp_path / "gallery.png"
    assert cli_gallery(2, 2, bad, tiny_dataset, screenshot=out) == 1
    err = capsys.readouterr().err
    assert "broken.pt" in err and err.count("\n") == 1 and not out.exists()
    assert cli_gallery(2, 2, bad, tmp_path / "missing", screenshot=out) == 2
    assert "missing" in capsys.readouterr().err
    assert cli_gallery(0, 2, bad, tiny_dataset, screenshot=out) == 2
    assert "rows" in capsys.readouterr().err
    assert not out.exists()


def test_inside_the_model_screenshot(qapp, tiny_checkpoint, tiny_dataset, tmp_path, capsys):
    from np_viewer.explore import cli_explore
    out = tmp_path / "inside.png"
    rc = cli_explore(tiny_checkpoint, tiny_dataset, screenshot=out, size=(640, 480), pair=(0, 2), t=0.25,
                     category="humanoid")
    assert rc == 0, capsys.readouterr().err
    img = iio.imread(out)
    assert img.shape[:2] == (480, 640)
    assert any(colour_mask(img, part_colour(k)).sum() > 20 for k in range(4))
    assert cli_explore(tiny_checkpoint, tiny_dataset, screenshot=tmp_path / "x.png", pair=(0, 99)) == 1
    assert "99" in capsys.readouterr().err and not (tmp_path / "x.png").exists()


def test_gallery_given_several_datasets_refuses_and_names_them(tiny_checkpoint, tiny_dataset, tmp_path, capsys):
    """--gallery shows one dataset: a second path is refused by name, not silently dropped."""
    from np_viewer.app import main
    out = tmp_path / "gallery.png"
    other = tmp_path / "other_shapes"
    other.mkdir()
    rc = main(["--gallery", "2x2", str(tiny_dataset), str(other), "--checkpoint", str(tiny_checkpoint),
               "--screenshot", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "one prepared dataset" in err and str(other) in err and err.count("\n") == 1


def test_gallery_split_and_category_flags_choose_the_shapes_and_progress_is_printed(
        tiny_checkpoint, tiny_dataset, tmp_path, capsys):
    """--split / --category narrow the gallery and its part consistency (the tiny dataset: 6
    humanoids, h00 and h03 in train, and 2 'toy' chairs in test); the wait for part consistency
    prints its progress on stderr, ending at every shape counted."""
    from np_viewer.app import main
    base = ["--gallery", "2x2", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--size", "500x400"]
    cases = [([], "8 of 8 shapes"), (["--split", "train"], "2 of 2 shapes"),
             (["--split", "test", "--category", "toy"], "2 of 2 shapes")]
    for i, (flags, last) in enumerate(cases):
        out = tmp_path / f"g{i}.png"
        rc = main([*base, *flags, "--screenshot", str(out)])
        err = capsys.readouterr().err
        assert rc == 0 and out.exists(), err
        lines = [ln for ln in err.splitlines() if ln.startswith("np-viewer: part consistency:")]
        assert lines and lines[-1].endswith(last), err
        assert len(lines) <= 11


def test_split_without_gallery_is_refused(tiny_dataset, capsys):
    import pytest
    from np_viewer.app import main
    with pytest.raises(SystemExit) as exit_:
        main([str(tiny_dataset), "--split", "train"])
    assert exit_.value.code == 2 and "--gallery" in capsys.readouterr().err


def test_gallery_of_an_empty_split_says_so_and_writes_nothing(tiny_checkpoint, tiny_dataset, tmp_path, capsys):
    from np_viewer.app import main
    out = tmp_path / "g.png"
    rc = main(["--gallery", "2x2", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--split", "val",
               "--screenshot", str(out)])
    err = capsys.readouterr().err
    assert rc != 0 and not out.exists()
    assert "no shapes in split 'val' (this dataset has: test, train)" in err, err


def test_gallery_of_an_empty_split_without_a_checkpoint_blames_the_split(tiny_dataset, tmp_path, capsys):
    from np_viewer.app import main
    out = tmp_path / "g.png"
    assert main(["--gallery", "2x2", str(tiny_dataset), "--split", "val", "--screenshot", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("np-viewer: error: ") and "no shapes in split 'val'" in err and "bundled" not in err, err
    assert err.count("\n") == 1 and not out.exists()
