"""Checkpoints in the safetensors format: never pickle, written atomically.

save(obj, path) takes a state_dict (name -> tensor) or a nested dict/list of tensors and plain
values (e.g. {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}). Tensors
go into the safetensors body; the nesting and the plain values go, as JSON, into the file's
metadata. A flat state_dict is stored under its own key names, so other safetensors readers see
"0.weight", "0.bias", ... as usual. The file is written to a temporary name in the same folder,
flushed, fsync'ed and renamed over the target, so an interrupted save leaves the old file intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import numpy as np

import tensorgrad as tg

_META_KEY = "tensorgrad.tree"
_SUM_KEY = "tensorgrad.sha256"  # over the tensors' names and bytes: catches flipped bits


class CheckpointError(ValueError):
    """A file that is not a valid tensorgrad/safetensors checkpoint."""


def _contiguous(array: np.ndarray) -> np.ndarray:
    """C-ordered (np.ascontiguousarray would turn a 0-d array into 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def _flatten(obj, path, tensors):
    if isinstance(obj, (tg.Tensor, np.ndarray)):
        array = obj.detach().numpy() if isinstance(obj, tg.Tensor) else obj
        key = "/".join(path)
        tensors[key] = _contiguous(array)
        return {"__tensor__": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__}")
            items.append([k, _flatten(v, path + [str(k)], tensors)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_flatten(v, path + [str(i)], tensors) for i, v in enumerate(obj)],
                "tuple": isinstance(obj, tuple)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"__value__": obj}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return {"__value__": obj.item()}
    hint = ""
    if hasattr(obj, "state_dict"):  # a module or an optimizer: its state, never its code
        hint = (f"; save its state_dict() instead, and restore it with "
                f"{type(obj).__name__.lower()}.load_state_dict(load(path))")
    raise TypeError(f"save: cannot store a {type(obj).__name__} (tensors, arrays, dicts, lists "
                    f"and plain numbers/strings only){hint}")


def _is_flat_state_dict(obj) -> bool:
    return isinstance(obj, dict) and obj and all(
        isinstance(k, str) and isinstance(v, (tg.Tensor, np.ndarray)) for k, v in obj.items())


def save(obj, path) -> None:
    """Write obj to path atomically in the safetensors format."""
    from safetensors.numpy import save

    path = os.fspath(path)
    tensors: dict = {}
    if _is_flat_state_dict(obj):
        for k, v in obj.items():
            tensors[k] = _contiguous(v.detach().numpy() if isinstance(v, tg.Tensor) else v)
        tree = {"__flat__": list(obj)}
    else:
        tree = _flatten(obj, [], tensors)
    body = hashlib.sha256()
    for key in sorted(tensors):
        body.update(key.encode())
        body.update(tensors[key].tobytes())
    data = save(tensors, metadata={_META_KEY: json.dumps(tree), _SUM_KEY: body.hexdigest()})
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _rebuild(node, tensors):
    if "__tensor__" in node:
        return tensors[node["__tensor__"]]
    if "__dict__" in node:
        return {k: _rebuild(v, tensors) for k, v in node["__dict__"]}
    if "__list__" in node:
        items = [_rebuild(v, tensors) for v in node["__list__"]]
        return tuple(items) if node.get("tuple") else items
    if "__value__" in node:
        return node["__value__"]
    raise CheckpointError("load: the checkpoint's structure metadata is malformed")


def load(path):
    """Read a checkpoint written by save (or any safetensors file: name -> tensor). Raises
    CheckpointError for truncated, corrupted or non-safetensors files; never executes code."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as load_bytes

    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    _check_header(data, path)
    try:
        arrays = load_bytes(data)
    except (SafetensorError, ValueError, OverflowError) as e:
        raise CheckpointError(f"load: {path} is not a valid safetensors checkpoint ({e})") from None
    metadata = _metadata(data)
    expected = metadata.get(_SUM_KEY)
    if expected is not None:
        body = hashlib.sha256()
        for key in sorted(arrays):
            body.update(key.encode())
            body.update(np.ascontiguousarray(arrays[key]).tobytes())
        if body.hexdigest() != expected:
            raise CheckpointError(f"load: {path} is corrupted: its tensors do not match the "
                                  "checksum written when it was saved")
    tensors = {k: tg.tensor(v) for k, v in arrays.items()}
    tree = metadata.get(_META_KEY)
    if tree is None:
        return tensors
    try:
        tree = json.loads(tree)
        if "__flat__" in tree:
            return {k: tensors[k] for k in tree["__flat__"]}
        return _rebuild(tree, tensors)
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f"load: {path} has malformed tensorgrad metadata ({e})") from None


def _check_header(data: bytes, path: str) -> None:
    """The header length must fit the file before anything is parsed or allocated."""
    if len(data) < 8:
        raise CheckpointError(f"load: {path} is too short to be a safetensors file "
                              f"({len(data)} bytes)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > 100_000_000:
        raise CheckpointError(f"load: {path} declares a {n}-byte header but holds only "
                              f"{len(data) - 8} bytes after the length (truncated or not "
                              "safetensors)")


def _metadata(data: bytes) -> dict:
    n = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8:8 + n])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"load: the safetensors header is not valid JSON ({e})") from None
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}
