"""Suite-wide setup. Importing np_viewer first preloads triton (where installed) before any
test creates an OpenGL context: see np_viewer._preload_triton for the crash this avoids."""
import np_viewer  # noqa: F401
