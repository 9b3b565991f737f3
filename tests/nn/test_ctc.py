"""CTC loss against a brute-force sum over every alignment (an independent reference), finite
differences in float64, and PyTorch's conventions for lengths, targets and reductions."""

import itertools

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
import tensorgrad_nn.functional as F
from tensorgrad.autograd import gradcheck, gradgradcheck
from tensorgrad.ops import ctc


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _brute_force_nll(lp, target, steps, blank=0):
    """-log of the summed probability of every path of `steps` symbols that collapses (merge
    repeats, drop blanks) to target: all C^steps paths, so tiny sizes only."""
    total = 0.0
    for path in itertools.product(range(lp.shape[1]), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(target):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


CASES = [  # (targets padded with 0, target lengths, input lengths)
    ([[1, 2, 0], [2, 2, 1], [3, 0, 0], [0, 0, 0]], [2, 3, 1, 0], [5, 5, 3, 4]),
    ([[1, 1, 1], [3, 1, 3], [2, 3, 0], [1, 0, 0]], [3, 3, 2, 1], [4, 4, 2, 1]),
]


@pytest.mark.parametrize("targets, target_lengths, input_lengths", CASES)
def test_ctc_loss_is_the_sum_over_alignments(targets, target_lengths, input_lengths):
    """Per-sequence losses (reduction='none') equal the brute-force sums, impossible ones
    (a repeated label needs a blank between: [1, 1, 1] in 4 steps) are inf."""
    rng = np.random.default_rng(len(targets[0]) + sum(input_lengths))
    lp = _log_softmax(rng.standard_normal((5, 4, 4)))
    got = F.ctc_loss(tg.tensor(lp), np.array(targets), input_lengths, target_lengths,
                     reduction="none").numpy()
    for n in range(4):
        want = _brute_force_nll(lp[:, n], targets[n][:target_lengths[n]], input_lengths[n])
        assert np.isclose(got[n], want, rtol=1e-10) or (np.isinf(want) and np.isinf(got[n]))


def test_ctc_loss_reductions_targets_and_zero_infinity():
    """'mean' divides each loss by its target length before averaging, concatenated 1-D
    targets equal padded ones, zero_infinity turns an impossible alignment into 0 with no
    gradient, and (T, C) input is one unbatched sequence."""
    rng = np.random.default_rng(3)
    lp = _log_softmax(rng.standard_normal((5, 4, 4)))
    targets, tl, il = CASES[1]
    want = np.array([_brute_force_nll(lp[:, n], targets[n][:tl[n]], il[n]) for n in range(4)])
    assert np.isinf(want[0])
    x = tg.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, np.array(targets), tg.tensor(il), tuple(tl), zero_infinity=True)
    finite = np.where(np.isinf(want), 0.0, want)
    assert np.isclose(loss.item(), np.mean(finite / np.maximum(tl, 1)))
    loss.backward()
    assert np.all(x.grad.numpy()[:, 0] == 0)
    concat = np.concatenate([targets[n][:tl[n]] for n in range(4)])
    summed = F.ctc_loss(tg.tensor(lp), concat, il, tl, reduction="sum", zero_infinity=True)
    assert np.isclose(summed.item(), finite.sum())
    assert np.isinf(F.ctc_loss(tg.tensor(lp), concat, il, tl, reduction="sum").item())
    one = nn.CTCLoss(reduction="sum")(tg.tensor(lp[:, 1]), targets[1][:3], [4], [3])
    assert one.shape == () and np.isclose(one.item(), want[1])


def test_ctc_gradients_match_finite_differences_to_second_order():
    """d loss / d log_probs (the node's saved posterior) and, under create_graph, the recursion
    written in tensor ops, through a log_softmax, in float64."""
    rng = np.random.default_rng(4)
    logits = tg.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    targets, tl, il = np.array([[1, 2], [2, 2]]), [2, 2], [4, 4]

    def loss(z):
        return F.ctc_loss(tg.log_softmax(z, 2), targets, il, tl, reduction="sum")

    assert gradcheck(loss, (logits,))
    assert gradgradcheck(loss, (logits,))
    raw = tg.tensor(_log_softmax(rng.standard_normal((4, 2, 3))), requires_grad=True)
    assert gradcheck(lambda z: F.ctc_loss(z, targets, il, tl, reduction="none"), (raw,))


def test_the_kernel_and_the_tensor_op_recursion_agree():
    """The CPU node (Numba alpha-beta) and the composed recursion (create_graph, GPUs) give
    the same losses and gradients, unequal lengths included."""
    rng = np.random.default_rng(5)
    lp = tg.tensor(_log_softmax(rng.standard_normal((7, 3, 5))), requires_grad=True)
    labels = np.array([[1, 2, 2], [3, 4, 0], [0, 0, 0]])
    tl, il = np.array([3, 2, 0]), np.array([7, 5, 3])
    ext = np.zeros((3, 7), np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    node = ctc.ctc_nll(lp, ext, skip, il, tl)
    composed = ctc._composed(lp, ext, skip, il, tl)
    assert np.allclose(node.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    g1 = tg.autograd.grad(node.sum(), lp)[0].numpy()
    g2 = tg.autograd.grad(composed.sum(), lp)[0].numpy()
    assert np.allclose(g1, g2, atol=1e-12)


def test_ctc_loss_refuses_bad_input():
    lp = tg.zeros(5, 2, 4)
    with pytest.raises(IndexError, match="other than the blank"):
        F.ctc_loss(lp, np.array([[0, 1], [1, 2]]), [5, 5], [2, 2])
    with pytest.raises(ValueError, match="input_lengths must lie"):
        F.ctc_loss(lp, np.array([[1, 1], [1, 2]]), [6, 5], [2, 2])
    with pytest.raises(tg.ShapeError, match="target_lengths must hold 2"):
        F.ctc_loss(lp, np.array([[1, 1], [1, 2]]), [5, 5], [2])
    with pytest.raises(tg.ShapeError, match="log_probs must be"):
        F.ctc_loss(tg.zeros(4), [1], [4], [1])


@pytest.mark.cuda
def test_ctc_loss_on_cuda_matches_the_cpu():
    """On a GPU the loss runs the recursion as tensor ops (no host alpha-beta)."""
    if not tg.cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((3, 2, 3)).astype(np.float32)
    targets, il, tl = np.array([[1, 2], [2, 0]]), [3, 2], [2, 1]
    grads = []
    for device in ("cpu", "cuda"):
        x = tg.tensor(logits, device=device, requires_grad=True)
        loss = F.ctc_loss(tg.log_softmax(x, 2), targets, il, tl)
        loss.backward()
        grads.append((loss.item(), x.grad.cpu().numpy()))
    assert np.isclose(grads[0][0], grads[1][0], rtol=1e-5)
    assert np.allclose(grads[0][1], grads[1][1], atol=1e-5)
