"""Write the exercise notebooks (notebooks/) from the solution notebooks (solutions/).

The solutions are the single source.  In their code cells, each solution
region is marked::

    ### BEGIN SOLUTION
    dx = y * dout
    ### END SOLUTION

and becomes, in the exercise notebook, one placeholder line per name the
region assigns (and ``return ...`` if it returns)::

    dx = ...  # YOUR CODE HERE

so the learner sees *what* to compute but not how.  The checks recognise the
``...`` and answer "not attempted yet" instead of failing.  A region in a
Markdown cell becomes an invitation to write the answer.  Cells tagged
``solution-only`` are left out; every output is cleared.

Run ``python -m tools.exercises`` (``make exercises``) after editing a
solution; ``--check`` only reports which exercise notebooks are out of date;
``--execute`` first re-runs the solutions and saves their outputs.  Name
solution notebooks to process only those.
"""
import argparse
import ast
import sys
import textwrap
from pathlib import Path

import nbformat

__all__ = ["make_exercise", "strip_solutions", "placeholder", "BEGIN", "END", "main"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_ONLY = "solution-only"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
NEW_CELL = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}
MARKDOWN_PLACEHOLDER = "*Your answer here (double-click this cell to edit it).*"


class MarkerError(ValueError):
    """A solution region is not closed, not opened, nested, or not valid Python."""


def placeholder(code, indent=""):
    """Return the placeholder lines for one solution region.

    >>> print(placeholder("dx = y * dout\\ndy = x * dout"))
    dx = ...  # YOUR CODE HERE
    dy = ...  # YOUR CODE HERE
    >>> print(placeholder("return x * y", "    "))
        return ...  # YOUR CODE HERE
    """
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError as error:
        raise MarkerError(f"the solution region is not valid Python on its own: {error.msg} "
                          f"(line {error.lineno}: {(error.text or '').strip()})") from None
    names = {}                                                   # a dict: each name once, in order
    for node in ast.walk(tree):                                  # assignments only: not loop variables
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in getattr(node, "targets", None) or [node.target]:
                names.update((leaf.id, None) for leaf in ast.walk(target)
                             if isinstance(leaf, ast.Name) and isinstance(leaf.ctx, ast.Store))
    lines = [f"{name} = ...  # YOUR CODE HERE" for name in names]
    if any(isinstance(n, ast.Return) for n in tree.body):
        lines.append("return ...  # YOUR CODE HERE")
    if not lines:
        lines = ["...  # YOUR CODE HERE"]
    return "\n".join(indent + line for line in lines)


def strip_solutions(source, *, markdown=False):
    """Return ``source`` with every solution region replaced by its placeholder."""
    out, region, indent = [], None, ""
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise MarkerError(f"line {number}: {BEGIN} inside another solution region")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if region is None:
                raise MarkerError(f"line {number}: {END} without a {BEGIN} before it")
            out.append(MARKDOWN_PLACEHOLDER if markdown else placeholder("\n".join(region), indent))
            region = None
        else:
            (out if region is None else region).append(line)
    if region is not None:
        raise MarkerError(f"a {BEGIN} is never closed with {END}")
    return "\n".join(out)


def make_exercise(solution):
    """Return a new exercise notebook made from a solution notebook (nbformat node)."""
    exercise = nbformat.v4.new_notebook()
    exercise.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for index, cell in enumerate(solution.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_ONLY in tags:
            continue
        try:
            source = strip_solutions(cell.source, markdown=cell.cell_type == "markdown")
        except MarkerError as error:
            raise MarkerError(f"cell {index} ({cell.cell_type}): {error}") from None
        new = NEW_CELL[cell.cell_type](source, metadata={"tags": tags} if tags else {})
        new["id"] = cell.get("id") or f"cell-{index}"            # stable ids: stable files
        exercise.cells.append(new)
    return exercise


def execute(path, timeout=300):
    """Run a solution notebook top to bottom in a fresh kernel and save it with its outputs."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    print(f"running {path} ...", flush=True)
    try:
        client.execute()
    except CellExecutionError as error:
        print(f"{path} failed:\n{error}", file=sys.stderr)
        return False
    notebook.metadata.pop("widgets", None)                     # widget state differs run to run
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _settled(cell.outputs)
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.write(notebook, path)
    return True


def _settled(outputs):
    """Return outputs as they should be saved: the same text on every run.

    Consecutive prints to one stream are merged (how they were split depends
    on timing), and a widget's live view is dropped: its model id is new on
    every run and its state is not saved, so JupyterLab and GitHub show the
    widget's static text instead.
    """
    settled = []
    for output in outputs:
        last = settled[-1] if settled else {}
        if output.get("output_type") == "stream" == last.get("output_type") and last["name"] == output["name"]:
            last["text"] += output["text"]
        else:
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            settled.append(output)
    return settled


def render(notebook):
    """Return the notebook as the exact text written to disk."""
    return nbformat.writes(notebook) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write notebooks/ from solutions/.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help="solution notebooks to process (default: all of solutions/)")
    parser.add_argument("--solutions", default="solutions", type=Path)
    parser.add_argument("--notebooks", default="notebooks", type=Path)
    parser.add_argument("--check", action="store_true", help="only report out-of-date exercise notebooks")
    parser.add_argument("--execute", action="store_true",
                        help="first run every solution notebook and save its outputs")
    args = parser.parse_args(argv)

    everything = sorted(args.solutions.glob("*.ipynb"))
    sources = sorted(args.paths) if args.paths else everything
    missing = [p for p in sources if not p.is_file()]
    if missing or not sources:
        print(f"no such solution notebook: {', '.join(map(str, missing))}" if missing else
              f"no solution notebooks found in {args.solutions}/", file=sys.stderr)
        return 2
    if args.execute and not all(execute(path) for path in sources):   # stops at the first that fails
        return 1
    stale = 0
    for path in sources:
        try:
            text = render(make_exercise(nbformat.read(path, as_version=4)))
        except (MarkerError, nbformat.reader.NotJSONError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
        target = args.notebooks / path.name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale += 1
        if args.check:
            print(f"{target} is out of date: run `make exercises`", file=sys.stderr)
        else:
            args.notebooks.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    orphans = sorted(set(p.name for p in args.notebooks.glob("*.ipynb")) - set(p.name for p in everything))
    for name in orphans:
        print(f"{args.notebooks / name} has no solution notebook in {args.solutions}/", file=sys.stderr)
    if not stale and not args.check:
        print(f"all {len(sources)} exercise notebooks are up to date")
    return 1 if orphans or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
