"""With a CUDA build of torch, triton must survive being imported after the viewer has rendered."""
import subprocess
import sys
import textwrap



def test_dynamo_import_after_rendering_does_not_crash():
    code = textwrap.dedent("""
        import np_viewer
        import pyvista as pv
        p = pv.Plotter(off_screen=True); p.add_mesh(pv.Sphere()); p.screenshot(); p.close()
        import torch._dynamo  # imports triton when the CUDA build ships it
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]
