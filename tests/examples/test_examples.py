"""Every example runs as a user runs it (a fresh process, the embedded MNIST-5k) and shows what it
promises: the loss falling, the primer's numbers, the notebook's shapes, small formula errors."""

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(script, *args, timeout=300):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _losses(text):
    return [float(v) for v in re.findall(r"^epoch\s+\d+/\d+\s+loss (\d+\.\d+)", text, re.M)]


@pytest.mark.parametrize("script,args", [
    ("mnist_mlp.py", ["--epochs", "2"]),
    ("mnist_dropout.py", ["--epochs", "2"]),
    ("mnist_cnn.py", ["--epochs", "2"]),
    ("lenet5.py", ["--epochs", "2"]),
    ("lenet5.py", ["--epochs", "2", "--fully-conv"]),
])
def test_training_examples_lower_the_loss_and_write_outputs(script, args, tmp_path):
    out = run(script, *args, "--out", str(tmp_path))
    losses = _losses(out)
    assert len(losses) == 2 and losses[1] < losses[0], out
    assert "held-out accuracy:" in out
    assert list(tmp_path.glob("*.safetensors")) and list(tmp_path.glob("*.png"))


def test_from_scratch_trains_both_networks(tmp_path):
    out = run("from_scratch.py", "--epochs", "3", "--out", str(tmp_path))
    accs = [float(v) for v in re.findall(r"training accuracy (\d\.\d+)", out)]
    assert len(accs) == 6
    assert accs[2] > accs[0] and accs[5] > accs[3]
    assert (tmp_path / "from_scratch.png").exists()


def test_wolfram_primer_prints_the_primers_numbers():
    out = run("wolfram_primer.py")
    for expected in ("0.419974, 0.0706508, 0.00986604", "0.331143, -0.0159703", "0.990066",
                     "4.66667", "0.6817, 0.723927, 0.730085", "dog 0.952574, cat 0.0474259"):
        assert expected in out.split("primer:")[0] or re.search(
            re.escape(expected) + r".*primer", out), expected
    weight = float(re.search(r"trained weight\s+\{([\d.]+)\}", out).group(1))
    assert abs(weight - 2.05) < 1e-3


def test_conv_variants_prints_the_notebook_shapes():
    out = run("conv_variants.py")
    assert "output (8, 32, 32)" in out and "output (8, 28, 28)" in out
    assert "output (16, 32, 32)" in out and "output (8, 24, 24)" in out
    assert "(16, 5, 5)" in out and "(64, 1, 1)" in out


def test_gradient_examples_report_small_errors():
    out = run("gradients.py")
    assert float(re.search(r"worst error: ([\d.e+-]+)", out).group(1)) < 1e-8
    assert out.count("retain_grad: ") == 3  # the intermediate gradients were compared
    out = run("custom_function.py")
    errors = [float(v) for v in re.findall(r"(?:=|error) (\d\.\d+e[+-]\d+)", out)]
    assert errors and max(errors) < 1e-10


def test_console_entry_point(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "tensorgrad_nn.train.cli", "--help"],
                               capture_output=True, text=True, cwd=ROOT).stdout
    assert "lenet5" in help_text and "mlp" in help_text
    proc = subprocess.run([sys.executable, "-m", "tensorgrad_nn.train.cli", "mlp", "--epochs",
                           "1", "--out", str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "held-out accuracy" in proc.stdout and (tmp_path / "mlp.png").exists()


@pytest.mark.parametrize("script,threshold", [("mnist_mlp.py", 0.92), ("lenet5.py", 0.95)])
def test_default_runs_reach_the_promised_accuracy(script, threshold, tmp_path):
    """The README's promise, with the default seed and epochs, on the embedded MNIST-5k."""
    out = run(script, "--out", str(tmp_path))
    accuracy = float(re.search(r"held-out accuracy: (\d\.\d+)", out).group(1))
    assert accuracy >= threshold, out


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_sequence_models_learn_mnist_rows(model, tmp_path):
    out = run("sequence_mnist.py", "--model", model, "--epochs", "2", "--out", str(tmp_path))
    losses = _losses(out)
    assert len(losses) == 2 and losses[1] < losses[0], out
    accuracy = float(re.search(r"held-out accuracy: (\d\.\d+)", out).group(1))
    assert accuracy > 0.5, out  # ten classes: chance is 0.1
    assert (tmp_path / f"sequence_{model}.safetensors").exists()


def test_vae_lowers_the_negative_elbo_and_writes_outputs(tmp_path):
    """Two epochs of examples/vae.py: the loss falls, and the held-out negative ELBO beats the
    784 ln 2 = 543 nats of a coin per pixel by far."""
    out = run("vae.py", "--epochs", "2", "--out", str(tmp_path))
    losses = _losses(out)
    assert len(losses) == 2 and losses[1] < losses[0], out
    elbo = float(re.search(r"held-out negative ELBO: (\d+\.\d+)", out).group(1))
    assert elbo < 300, out
    assert (tmp_path / "vae.safetensors").exists() and (tmp_path / "vae.png").exists()
