"""PackedSequence (nn.utils.rnn) and the recurrent layers on it: each sequence of a packed batch
must come out exactly as if it had run alone, for its own length."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.autograd import gradcheck, gradgradcheck
from tensorgrad_nn.utils.rnn import (
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    unpack_sequence,
    unpad_sequence,
)


def test_packing_lays_out_steps_longest_first():
    """PyTorch's documented example: [1, 2, 3], [4, 5], [6] pack to data [1, 4, 6, 2, 5, 3]
    with batch_sizes [3, 2, 1]; unsorted batches record the order, and padding back gives
    the batch and its lengths in the original order."""
    seqs = [tg.tensor([1.0, 2, 3]), tg.tensor([4.0, 5]), tg.tensor([6.0])]
    packed = pack_sequence(seqs)
    assert packed.data.numpy().tolist() == [1, 4, 6, 2, 5, 3]
    assert packed.batch_sizes.numpy().tolist() == [3, 2, 1]
    assert packed.sorted_indices is None
    shuffled = pack_sequence([seqs[1], seqs[2], seqs[0]], enforce_sorted=False)
    assert shuffled.data.numpy().tolist() == [1, 4, 6, 2, 5, 3]
    assert shuffled.sorted_indices.numpy().tolist() == [2, 0, 1]
    assert shuffled.unsorted_indices.numpy().tolist() == [1, 2, 0]
    padded, lengths = pad_packed_sequence(shuffled, batch_first=True, padding_value=-1.0,
                                          total_length=4)
    assert lengths.numpy().tolist() == [2, 1, 3]
    assert padded.numpy().tolist() == [[4, 5, -1, -1], [6, -1, -1, -1], [1, 2, 3, -1]]
    assert [s.numpy().tolist() for s in unpack_sequence(shuffled)] == [[4, 5], [6], [1, 2, 3]]
    assert [s.numpy().tolist() for s in unpad_sequence(padded, lengths, batch_first=True)] \
        == [[4, 5], [6], [1, 2, 3]]
    with pytest.raises(ValueError, match="not sorted longest first"):
        pack_sequence([seqs[1], seqs[0]])
    with pytest.raises(ValueError, match="lengths must be"):
        pack_padded_sequence(tg.zeros(3, 2), [3, 0])


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers_run_each_packed_sequence_for_its_own_length(mode, bidirectional):
    """Outputs, last states and every gradient of a packed, unsorted batch equal those of each
    sequence run alone (unpadded), the reverse direction starting at each one's own end."""
    tg.manual_seed(0)
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    rng = np.random.default_rng(1)
    lengths = [3, 5, 1, 4]
    x = rng.standard_normal((5, 4, 3))
    xt = tg.tensor(x, requires_grad=True)
    out, state = layer(pack_padded_sequence(xt, lengths, enforce_sorted=False))
    h_n, c_n = state if mode == "LSTM" else (state, None)
    padded, got_lengths = pad_packed_sequence(out)
    assert got_lengths.numpy().tolist() == lengths
    loss = (padded ** 2).sum() + (h_n ** 3).sum() + ((c_n ** 2).sum() if c_n is not None else 0)
    loss.backward()
    packed_grads = [xt.grad.numpy().copy()] + [p.grad.numpy().copy() for p in layer.parameters()]
    assert np.all(padded.detach().numpy()[np.arange(5)[:, None] >= np.array(lengths)] == 0)

    layer.zero_grad()
    total = 0
    alone_x = []
    for n, length in enumerate(lengths):
        xn = tg.tensor(x[:length, n:n + 1], requires_grad=True)
        alone_x.append(xn)
        o, s = layer(xn)
        h, c = s if mode == "LSTM" else (s, None)
        assert np.allclose(o.detach().numpy()[:, 0], padded.detach().numpy()[:length, n])
        assert np.allclose(h.detach().numpy()[:, 0], h_n.detach().numpy()[:, n])
        if c is not None:
            assert np.allclose(c.detach().numpy()[:, 0], c_n.detach().numpy()[:, n])
        total = total + (o ** 2).sum() + (h ** 3).sum() + ((c ** 2).sum() if c is not None
                                                            else 0)
    total.backward()
    grad_x = np.zeros_like(x)
    for n, (length, xn) in enumerate(zip(lengths, alone_x)):
        grad_x[:length, n] = xn.grad.numpy()[:, 0]
    assert np.allclose(packed_grads[0], grad_x)
    for got, p in zip(packed_grads[1:], layer.parameters()):
        assert np.allclose(got, p.grad.numpy())


def test_packed_lstm_gradients_to_second_order():
    """Finite differences in float64 through a packed bidirectional LSTM, and its gradients'
    gradients (the formula path with each sequence's own last cell state)."""
    tg.manual_seed(2)
    lstm = nn.LSTM(2, 2, bidirectional=True).double()
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)

    def f(a):
        out, (h, c) = lstm(pack_padded_sequence(a, [3, 2]))
        return pad_packed_sequence(out)[0].sum() + (h * c).sum()

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


@pytest.mark.cuda
def test_packed_gru_on_cuda_matches_the_cpu():
    if not tg.cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    tg.manual_seed(3)
    gru = nn.GRU(2, 3, bidirectional=True)
    x = np.random.default_rng(3).standard_normal((3, 2, 2)).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        gru.to(device)
        packed = pack_padded_sequence(tg.tensor(x), [2, 3], enforce_sorted=False).to(device)
        out, h = gru(packed)
        results.append((pad_packed_sequence(out)[0].detach().cpu().numpy(),
                        h.detach().cpu().numpy()))
    assert np.allclose(results[0][0], results[1][0], atol=1e-5)
    assert np.allclose(results[0][1], results[1][1], atol=1e-5)
