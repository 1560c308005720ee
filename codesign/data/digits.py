"""scikit-learn's bundled 8x8 handwritten digits: the embedded default dataset.

The 1,797 images ship inside scikit-learn, so this loads with no file and no network.
Pixels are integers 0..16 in the source; they are mapped to ``uint8`` 0..255 by
``p = (v * 255 + 8) // 16``, i.e. ``round(v * 255 / 16)`` with halves rounded
up (0 -> 0, 8 -> 128, 16 -> 255), computed in integers so it is exactly reproducible.

With the defaults (``test_fraction=0.2``, ``seed=0``) the stratified split has
1,438 training and 359 test images (35..37 per class); see
:func:`codesign.data.base.stratified_split`.
"""

from __future__ import annotations

import numpy as np

from codesign.data.base import DataSplit, Dataset, DatasetError, stratified_split

NAME = "digits"
CLASS_NAMES = tuple(str(d) for d in range(10))
INPUT_SHAPE = (1, 8, 8)


def pixels_to_uint8(values: np.ndarray) -> np.ndarray:
    """Map digits pixel values 0..16 to uint8 0..255: ``(v * 255 + 8) // 16``.

    Args:
        values: integer-valued array (any float or int dtype) with entries 0..16.

    Returns:
        ``uint8`` array of the same shape.
    """
    v = np.asarray(values)
    v_int = v.astype(np.int64)
    if not np.array_equal(v_int, v) or v_int.min() < 0 or v_int.max() > 16:
        raise DatasetError("digits pixels must be integers 0..16")
    return ((v_int * 255 + 8) // 16).astype(np.uint8)


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load the 8x8 digits with a seeded stratified train/test split.

    Args:
        test_fraction: share of the 1,797 images that goes to the test split.
        seed: seed of the split (``numpy.random.default_rng``).

    Returns:
        ``Dataset`` with ``uint8`` images of shape (N, 1, 8, 8), 10 classes "0".."9".
    """
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    x = pixels_to_uint8(bunch.images)[:, None, :, :]
    y = np.asarray(bunch.target, dtype=np.int64)
    train, test = stratified_split(y, test_fraction, seed)
    return Dataset(
        name=NAME,
        train=DataSplit(x[train], y[train]),
        test=DataSplit(x[test], y[test]),
        num_classes=10,
        input_shape=INPUT_SHAPE,
        input_kind="uint8_image",
        class_names=CLASS_NAMES,
    )
