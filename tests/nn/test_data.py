"""Data: the IDX parser on files the test writes, checksums, the download path through a
monkeypatched opener, offline errors, the embedded MNIST-5k, DataLoader batching and seeding."""

import gzip
import hashlib
import importlib
import io
import urllib.error

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn

mnist_module = importlib.import_module("tensorgrad_nn.data.datasets.mnist")


def _idx(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_read_idx_parses_images_and_labels_gzipped_or_not():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(mnist_module.read_idx(_idx(images)), images)
    assert np.array_equal(mnist_module.read_idx(gzip.compress(_idx(images))), images)
    ints = np.array([1, -2, 300], dtype=np.int32)
    assert np.array_equal(mnist_module.read_idx(_idx(ints, 0x0C)), ints)


def test_read_idx_rejects_bad_files():
    with pytest.raises(mnist_module.MnistError, match="bad magic"):
        mnist_module.read_idx(b"\x01\x02\x08\x01")
    good = _idx(np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(mnist_module.MnistError, match="expected 4 bytes"):
        mnist_module.read_idx(good[:-1])


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _fake_mnist(monkeypatch, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            _idx(rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            _idx(rng.integers(0, 10, n).astype(np.uint8)))
    monkeypatch.setattr(mnist_module, "FILES",
                        {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    return files


def test_download_through_opener_checks_and_caches(tmp_path, monkeypatch):
    files = _fake_mnist(monkeypatch)
    calls = []

    def opener(url, timeout):
        calls.append(url)
        return _FakeResponse(files[url.rsplit("/", 1)[1]])

    x, y = nn.datasets.mnist(train=True, root=tmp_path, opener=opener)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert y.shape == (6,) and y.dtype == np.int64
    assert len(calls) == 2
    x2, _ = nn.datasets.mnist(train=True, root=tmp_path, opener=None, download=False)
    assert np.array_equal(x, x2)  # read from the cache, no opener needed


def test_checksum_mismatch_tries_next_mirror_then_fails(tmp_path, monkeypatch):
    files = _fake_mnist(monkeypatch)

    def opener(url, timeout):
        return _FakeResponse(b"not mnist" + files[url.rsplit("/", 1)[1]][:10])

    with pytest.raises(mnist_module.MnistError, match="sha256 mismatch"):
        nn.datasets.mnist(root=tmp_path, opener=opener)
    assert not list(tmp_path.rglob("*.gz"))


def test_offline_is_a_clear_error_not_a_hang(tmp_path, monkeypatch):
    _fake_mnist(monkeypatch)

    def offline(url, timeout):
        assert timeout <= 30
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(mnist_module.MnistError, match="(?s)could not download.*offline.*mnist_5k"):
        nn.datasets.mnist(root=tmp_path, opener=offline)
    with pytest.raises(mnist_module.MnistError, match="download=False"):
        nn.datasets.mnist(root=tmp_path / "empty", download=False)


def test_corrupt_cached_file_is_reported(tmp_path, monkeypatch):
    _fake_mnist(monkeypatch)
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(mnist_module.MnistError, match="wrong sha256"):
        nn.datasets.mnist(root=tmp_path, download=False)


def test_embedded_mnist_5k_split_is_deterministic_and_disjoint():
    x, y = nn.datasets.mnist_5k()
    xt, yt = nn.datasets.mnist_5k(train=False)
    assert x.shape == (4000, 1, 28, 28) and xt.shape == (1000, 1, 28, 28)
    assert set(np.unique(y)) == set(range(10)) and set(np.unique(yt)) == set(range(10))
    x2, _ = nn.datasets.mnist_5k()
    assert np.array_equal(x, x2)
    train_rows = {row.tobytes() for row in x.reshape(4000, -1)}
    assert not any(row.tobytes() in train_rows for row in xt.reshape(1000, -1))


def test_dataloader_batches_and_drop_last():
    ds = nn.data.TensorDataset(np.arange(10).reshape(10, 1), np.arange(10))
    batches = list(nn.data.DataLoader(ds, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert batches[0][1].tolist() == [0, 1, 2, 3]
    assert len(nn.data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [len(b[1]) for b in nn.data.DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]


def test_dataloader_shuffle_is_seeded():
    ds = nn.data.TensorDataset(np.arange(20))

    def order(seed):
        tg.manual_seed(seed)
        return [b[0].tolist() for b in nn.data.DataLoader(ds, batch_size=5, shuffle=True)]

    assert order(3) == order(3)
    assert order(3) != order(4)
    flat = sorted(v for batch in order(3) for v in batch)
    assert flat == list(range(20))


def test_dataloader_over_a_plain_dataset_collates():
    class Squares(nn.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    (x, y), = list(nn.data.DataLoader(Squares(), batch_size=5))
    assert x.shape == (5, 2) and y.tolist() == [0, 1, 2, 3, 4]
    a, b = nn.data.random_split(Squares(), [3, 2], seed=0)
    assert len(a) == 3 and len(b) == 2


def test_dataloader_collate_fn_gets_the_samples():
    """A collate_fn (PyTorch's) receives the list of dataset[i] and makes the batch: here
    variable-length sequences padded to the batch's longest."""
    seqs = [np.arange(n, dtype=np.float32) for n in (3, 1, 4, 2)]

    def pad_batch(samples):
        width = max(len(s) for s in samples)
        return tg.tensor(np.stack([np.pad(s, (0, width - len(s))) for s in samples]))

    batches = list(nn.data.DataLoader(seqs, batch_size=2, collate_fn=pad_batch))
    assert [b.shape for b in batches] == [(2, 3), (2, 4)]
    assert batches[1].tolist() == [[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="num_workers=2: batches are made in this process"):
        nn.data.DataLoader(seqs, num_workers=2)


def test_samplers_and_concat_dataset():
    ds = nn.data.TensorDataset(np.arange(10.0), np.arange(10))
    assert list(nn.data.SequentialSampler(ds)) == list(range(10))
    tg.manual_seed(3)
    order = list(nn.data.RandomSampler(ds))
    assert sorted(order) == list(range(10))
    longer = list(nn.data.RandomSampler(ds, num_samples=25))  # permutations in turn
    assert len(longer) == 25 and sorted(longer[:10]) == list(range(10))
    drawn = list(nn.data.RandomSampler(ds, replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) <= set(range(10))
    assert sorted(nn.data.SubsetRandomSampler([7, 2, 5])) == [2, 5, 7]
    weighted = list(nn.data.WeightedRandomSampler([0.0, 1.0, 3.0], 4000))
    counts = np.bincount(weighted, minlength=3)
    assert counts[0] == 0 and 2.6 < counts[2] / counts[1] < 3.4
    with pytest.raises(ValueError, match="non-negative finite"):
        nn.data.WeightedRandomSampler([-1.0, 1.0], 3)
    batches = list(nn.data.BatchSampler(range(7), 3, drop_last=False))
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    loader = nn.data.DataLoader(ds, batch_size=4, sampler=nn.data.SubsetRandomSampler([1, 3, 5]))
    (x, y), = list(loader)
    assert sorted(y.tolist()) == [1, 3, 5]
    loader = nn.data.DataLoader(ds, batch_sampler=[[0, 9], [4]])
    assert [b[1].tolist() for b in loader] == [[0, 9], [4]] and len(loader) == 2
    with pytest.raises(ValueError, match="sampler and shuffle=True exclude each other"):
        nn.data.DataLoader(ds, shuffle=True, sampler=nn.data.SequentialSampler(ds))
    both = ds + nn.data.TensorDataset(np.arange(3.0) + 100, np.arange(3) + 100)
    assert isinstance(both, nn.data.ConcatDataset) and len(both) == 13
    assert both[11][1].item() == 101 and both[-1][1].item() == 102 and both[4][1].item() == 4
    assert [b[1].tolist() for b in nn.data.DataLoader(both, batch_size=5)][-1] == [
        100, 101, 102]


def test_pad_sequence_pads_and_routes_gradients():
    a = tg.tensor(np.ones((3, 2)), requires_grad=True)
    b = tg.tensor(np.full((1, 2), 2.0), requires_grad=True)
    out = nn.utils.rnn.pad_sequence([a, b], batch_first=True, padding_value=-1.0)
    expected = np.array([[[1, 1], [1, 1], [1, 1]], [[2, 2], [-1, -1], [-1, -1]]])
    assert np.array_equal(out.detach().numpy(), expected)
    left = nn.utils.rnn.pad_sequence([a, b], padding_side="left")  # (L, B, *)
    assert left.shape == (3, 2, 2) and np.array_equal(left.detach().numpy()[:, 1, 0], [0, 0, 2])
    (out * 3.0).sum().backward()
    assert np.array_equal(a.grad.numpy(), np.full((3, 2), 3.0))
    assert np.array_equal(b.grad.numpy(), np.full((1, 2), 3.0))


def test_iterable_dataset_batches_in_its_order():
    class Squares(nn.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            for i in range(self.n):
                yield np.array([i, i * i], dtype=np.float32), i % 2

        def __len__(self):
            return self.n

    batches = list(nn.data.DataLoader(Squares(7), batch_size=3))
    assert [len(b[1]) for b in batches] == [3, 3, 1]
    np.testing.assert_array_equal(batches[1][0].numpy(), [[3, 9], [4, 16], [5, 25]])
    assert batches[0][1].dtype == np.int64 and batches[0][1].tolist() == [0, 1, 0]
    loader = nn.data.DataLoader(Squares(7), batch_size=3, drop_last=True)
    assert len(loader) == 2 and len(list(loader)) == 2
    assert len(nn.data.DataLoader(Squares(7), batch_size=3)) == 3
    with pytest.raises(ValueError, match="no shuffle, sampler"):
        nn.data.DataLoader(Squares(3), shuffle=True)
    with pytest.raises(TypeError, match="no indices"):
        Squares(3)[0]


def test_default_collate_follows_pytorchs_rules():
    batch = nn.data.default_collate([
        {"x": np.ones(2, dtype=np.float32), "label": 1, "name": "a", "w": 0.5},
        {"x": np.zeros(2, dtype=np.float32), "label": 2, "name": "b", "w": 1.5},
    ])
    assert batch["x"].shape == (2, 2) and batch["x"].dtype == np.float32
    assert batch["label"].dtype == np.int64 and batch["label"].tolist() == [1, 2]
    assert batch["w"].dtype == np.float64 and batch["name"] == ["a", "b"]
    with pytest.raises(ValueError, match=r"shapes \[\(2,\), \(3,\)\] do not stack"):
        nn.data.default_collate([np.ones(2), np.ones(3)])
