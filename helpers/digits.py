"""The 8×8 handwritten digits that lesson 10 trains on, shipped with the course.

1,797 images of the digits 0–9, each 8×8 pixels with integer values 0–16
(a count of ink pixels in a 4×4 block of the original 32×32 scan).  The file
``helpers/data/digits.csv.gz`` holds one image per line: 64 pixel values,
row by row, then the label.  Its source, creators and licence are in
``helpers/data/README.md``.  Nothing is downloaded: the file is read from the
course's own folder.

>>> images, labels = load_digits()
>>> images.shape, labels.shape, int(images.max()), sorted(set(labels.tolist())) == list(range(10))
((1797, 64), (1797,), 16, True)
>>> split = train_test_split()
>>> split.x_train.shape, split.x_test.shape
((1437, 64), (360, 64))
"""
import gzip
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["DATA_FILE", "load_digits", "train_test_split", "Split", "N_IMAGES", "N_PIXELS", "MAX_PIXEL",
           "TEST_SIZE", "SPLIT_SEED"]

DATA_FILE = Path(__file__).parent / "data" / "digits.csv.gz"
N_IMAGES, N_PIXELS, MAX_PIXEL = 1797, 64, 16
TEST_SIZE, SPLIT_SEED = 360, 0                                   # 20 % held out, the same 360 on every machine


class Split(NamedTuple):
    """A train/test split: pixel rows scaled to [0, 1] (float64) and integer labels."""

    x_train: np.ndarray   # (1437, 64)
    y_train: np.ndarray   # (1437,)
    x_test: np.ndarray    # (360, 64)
    y_test: np.ndarray    # (360,)


def load_digits(path=DATA_FILE):
    """Return (images, labels): images (1797, 64) of integers 0–16 and labels (1797,) of 0–9, as in the file.

    Raises a ValueError naming the problem when the file is not the one the course ships.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"the digits file is missing: {path} (it ships with the course; "
                                "restore it with `git checkout -- helpers/data`)")
    with gzip.open(path, "rt", encoding="ascii") as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape != (N_IMAGES, N_PIXELS + 1):
        raise ValueError(f"{path.name} should hold {N_IMAGES} rows of {N_PIXELS} pixels and a label, "
                         f"got a table of shape {table.shape}")
    images, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if images.min() < 0 or images.max() > MAX_PIXEL or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path.name} has pixels outside 0–{MAX_PIXEL} or labels outside 0–9")
    return images, labels


def train_test_split(*, seed=SPLIT_SEED, test_size=TEST_SIZE):
    """Return the course's fixed :class:`Split`: a seeded shuffle, the last ``test_size`` images held out.

    Pixels are divided by 16, so every input lies in [0, 1].
    """
    images, labels = load_digits()
    order = np.random.default_rng(seed).permutation(len(labels))
    train, test = order[:-test_size], order[-test_size:]
    x = images / MAX_PIXEL
    return Split(x[train], labels[train], x[test], labels[test])
