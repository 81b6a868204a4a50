"""An empty stand-in for debugpy, first on the PYTHONPATH of the kernels that `make test` starts.

ipykernel loads debugpy as it starts, so that JupyterLab's debugger can attach: about a sixth of a kernel's
start-up.  `make test` starts some thirty kernels and debugs none of them.  With this package in debugpy's
place, ipykernel's `from debugpy.server import api` fails and the kernel starts without a debugger.
Learners' kernels (`make lab`) and the browser test keep the real debugpy.
"""
