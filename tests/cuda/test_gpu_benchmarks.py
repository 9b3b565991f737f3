"""The GPU mode of the benchmarks (`python -m benchmarks --gpu`), its tensorgrad workloads built on
'cuda' at tiny sizes (the simulator runs every GPU thread in Python): each runs, synchronises,
and gives what the same workload gives on the CPU. LeNet-5's builder shares _tg_step with the
MLP's, and its step on 'cuda' is checked in test_cuda_ops (64 s in the simulator here, too slow to
repeat). The timings themselves need a real GPU."""

import numpy as np
import pytest

import tensorgrad as tg
from benchmarks import workloads as w

pytestmark = pytest.mark.cuda

TINY = {
    "mlp sgd": lambda d: w.mlp_tg(2, "sgd", (12, 6, 10), device=d),
    "mlp adam": lambda d: w.mlp_tg(2, "adam", (12, 6, 10), device=d),
    "conv fwd+bwd": lambda d: w.conv_tg((1, 2, 5, 5), 3, 1, True, device=d),
    "depthwise fwd+bwd": lambda d: w.conv_tg((1, 2, 5, 5), 2, 2, True, device=d),
    "max-pool": lambda d: w.pool_tg("max", device=d, shape=(1, 2, 4, 4)),
    "avg-pool": lambda d: w.pool_tg("avg", device=d, shape=(1, 2, 4, 4)),
    "per-op chain": lambda d: w.chain_tg(device=d),
}


@pytest.mark.parametrize("name", list(TINY))
def test_gpu_workload_runs_and_matches_cpu(name):
    out = {}
    for device in ("cpu", "cuda"):
        run, _ = TINY[name](device)
        result = run()
        assert result.device == device
        out[device] = result.detach().numpy()
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-4, atol=1e-5, err_msg=name)


def test_synchronize_waits_for_the_device():
    x = tg.ones(3, device="cuda") * 2
    tg.cuda.synchronize()
    assert x.numpy().tolist() == [2.0, 2.0, 2.0]
