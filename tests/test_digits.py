"""Tests for the shipped digits file and its fixed train/test split."""
import gzip
import hashlib

import numpy as np
import pytest

from helpers import digits
from helpers.digits import DATA_FILE, load_digits, train_test_split

SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def test_the_file_is_the_documented_one():
    assert hashlib.sha256(DATA_FILE.read_bytes()).hexdigest() == SHA256
    assert (DATA_FILE.parent / "README.md").is_file()


def test_rows_and_value_range():
    with gzip.open(DATA_FILE, "rt") as file:
        lines = file.read().splitlines()
    assert len(lines) == 1797
    table = np.array([[int(v) for v in line.split(",")] for line in lines])
    assert table.shape == (1797, 65)
    assert table[:, :64].min() == 0 and table[:, :64].max() == 16
    assert sorted(set(table[:, 64].tolist())) == list(range(10))


def test_load_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert images.dtype.kind == "i" and labels.dtype.kind == "i"
    assert np.bincount(labels).min() >= 170                           # every digit well represented
    assert labels[:10].tolist() == list(range(10))                    # the file's own first rows


def test_split_is_fixed_disjoint_and_complete():
    a, b = train_test_split(), train_test_split()
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)
    assert a.x_train.shape == (1437, 64) and a.x_test.shape == (360, 64)
    assert 0.0 <= a.x_train.min() and a.x_train.max() == 1.0
    images, _ = load_digits()
    rows = {tuple(r) for r in images}
    assert len(rows) == 1797                                          # no duplicate images, so rows identify
    train = {tuple(r) for r in np.rint(a.x_train * 16).astype(int)}
    test = {tuple(r) for r in np.rint(a.x_test * 16).astype(int)}
    assert not train & test and len(train | test) == 1797
    assert set(a.y_test.tolist()) == set(range(10))


def test_another_seed_gives_another_split():
    assert not np.array_equal(train_test_split(seed=1).y_test, train_test_split().y_test)


def test_a_wrong_file_is_named(tmp_path):
    bad = tmp_path / "digits.csv.gz"
    with gzip.open(bad, "wt") as file:
        file.write("1,2,3\n")
    with pytest.raises(ValueError, match="1797 rows"):
        load_digits(bad)
    with gzip.open(bad, "wt") as file:
        file.write("\n".join(",".join(["17"] * 64 + ["3"]) for _ in range(1797)))
    with pytest.raises(ValueError, match="outside 0–16"):
        load_digits(bad)
    with pytest.raises(FileNotFoundError, match="missing"):
        load_digits(tmp_path / "nothing.csv.gz")


def test_module_constants():
    assert digits.N_IMAGES == 1797 and digits.MAX_PIXEL == 16


def test_no_scikit_learn_at_run_time():
    import subprocess
    import sys
    code = ("import sys, helpers.digits, helpers.training; helpers.digits.train_test_split(); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
