"""How pytest runs the course's notebooks, so that one `make test` runs everything in a single session.

nbval (`--nbval`) turns each notebook into one test per code cell, all sharing one kernel.  Two rules:

* The exercise notebooks in notebooks/ are run as a learner first opens them: every cell must run without
  an error, but their outputs are not compared (they are saved empty; each check prints "not attempted yet").
  The solution notebooks in solutions/ must also print exactly what their saved outputs show.
* All the cells of one notebook run in the same pytest-xdist worker, in order (`--dist loadgroup` keeps the
  tests of one `xdist_group` together), while the unit tests spread over every core beside them.

Groups (notebooks, and tests that share a kernel or a costly fixture) are handed out first, so the many
short unit tests fill the end of the run on every core instead of one core finishing a notebook alone.

A kernel that dies while starting is started again (see `_start_kernel`).
"""
import functools

import pytest

EXERCISE_FOLDER = "notebooks"       # run, never compared: the exercise notebooks have no saved outputs


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collectors = yield
    if file_path.suffix == ".ipynb":
        for notebook in collectors or []:
            notebook.add_marker(pytest.mark.xdist_group(f"notebook {file_path.parent.name}/{file_path.name}"))
            if file_path.parent.name == EXERCISE_FOLDER:
                notebook.compare_outputs = False        # what --nbval-lax does, for this folder only
    return collectors


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)     # stable: groups first


KERNEL_STARTS = 3       # tries per notebook kernel


def _start_kernel(start):
    """Wrap nbval's kernel start: a kernel that dies before it answers is started again, up to KERNEL_STARTS times.

    Each kernel is given free TCP ports when it is launched and binds them a moment later.  With a dozen
    kernels and their clients starting on two cores, another process sometimes takes one of those ports in
    between, and the kernel dies ("Kernel died before replying to kernel_info"; jupyter_client issue 487).
    That says nothing about the notebook, so the start is tried again with fresh ports.
    """
    @functools.wraps(start)
    def start_again_if_it_dies(*args, **kwargs):
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError:
                if attempt == KERNEL_STARTS:
                    raise
    return start_again_if_it_dies


def pytest_configure(config):
    if config.getoption("nbval", default=False):
        from nbval import kernel
        if not hasattr(kernel.start_new_kernel, "__wrapped__"):
            kernel.start_new_kernel = _start_kernel(kernel.start_new_kernel)
