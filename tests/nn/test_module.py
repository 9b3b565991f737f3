"""Module mechanics: registration order, traversal, train/eval, state_dict errors, containers,
Graph ports, summary, and the rule that tensorgrad_nn defines no backward."""

import ast
import pathlib

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("steps", tg.tensor(0))

    def forward(self, x):
        return self.fc2(self.drop(self.fc1(x).relu()))


def test_parameters_in_definition_order_and_named():
    m = Block()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Dropout", "Linear"]
    assert len(list(m.modules())) == 4
    assert list(m.state_dict()) == ["steps"] + names  # own state first, as PyTorch


def test_train_eval_propagates():
    m = Block()
    m.eval()
    assert not m.drop.training
    m.train()
    assert m.drop.training


def test_zero_grad_and_shared_parameter_counted_once():
    shared = nn.Linear(2, 2)
    m = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(m.parameters())) == 2
    m(tg.randn(3, 2)).sum().backward()
    assert shared.weight.grad is not None
    m.zero_grad()
    assert shared.weight.grad is None


def test_layer_applied_twice_gets_both_gradient_contributions():
    lin = nn.Linear(2, 2, bias=False).double()
    x = tg.tensor(np.array([[1.0, 2.0]]))
    lin(lin(x)).sum().backward()
    w = lin.weight.detach().numpy()
    x0 = x.numpy()
    g_out = np.ones((1, 2))
    expected = g_out.T @ (x0 @ w.T) + (g_out @ w).T @ x0
    assert np.allclose(lin.weight.grad.numpy(), expected)


def test_load_state_dict_reports_missing_unexpected_and_mismatched():
    m = Block()
    sd = m.state_dict()
    sd.pop("fc1.bias")
    sd["extra.weight"] = tg.ones(1)
    sd["fc2.weight"] = tg.ones(5, 5)
    with pytest.raises(KeyError) as err:
        m.load_state_dict(sd)
    text = str(err.value)
    assert "missing keys: ['fc1.bias']" in text
    assert "unexpected keys: ['extra.weight']" in text
    assert "fc2.weight: checkpoint (5, 5) vs model (2, 4)" in text


def test_load_state_dict_copies_values():
    a, b = Block(), Block()
    b.load_state_dict(a.state_dict())
    x = tg.randn(5, 3)
    a.eval()
    b.eval()
    assert np.array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_nested_repr():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU())))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): Sequential(\n    (0): ReLU()\n  )" in text


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    md = nn.ModuleDict({"a": nn.Linear(2, 1)})
    holder = nn.Sequential(nn.Identity())
    holder.extra = ml
    holder.heads = md
    assert len(list(holder.parameters())) == 6
    assert "a" in md and len(ml) == 2


def test_wolfram_netgraph_ports_and_port_gradient():
    net = nn.Graph({"tanh": nn.Elementwise(tg.tanh), "sig": nn.Elementwise(tg.sigmoid),
                    "total": nn.Total()},
                   [("Input1", "tanh"), ("Input2", "sig"), (("tanh", "sig"), "total")])
    x1 = tg.tensor([0.1, -2.4], requires_grad=True)
    x2 = tg.tensor([-1.2, 3.4])
    y = net(Input1=x1, Input2=x2)
    assert np.allclose(y.detach().numpy(), [0.331143, -0.0159703], atol=1e-6)
    y.sum().backward()
    assert np.allclose(x1.grad.numpy(), [0.990066, 0.0323837], atol=1e-6)
    assert net.input_ports == ["Input1", "Input2"]
    assert np.allclose(net(x1.detach(), x2).numpy(), y.detach().numpy())


def test_graph_with_wolfram_list_layers_and_nesting():
    inner = nn.Sequential(nn.Sequential(nn.Linear(2, 2)))
    net = nn.Graph([inner, nn.Elementwise("Tanh")], [("Input", 1), (1, 2)])
    assert net(tg.randn(3, 2)).shape == (3, 2)
    with pytest.raises(ValueError, match="cycle"):
        nn.Graph({"a": nn.Identity(), "b": nn.Identity()}, [("a", "b"), ("b", "a")], output="b")


def test_netchain_equals_composition():
    data = tg.tensor([1.0, 2.0, 3.0])
    net = nn.Chain(nn.Elementwise("Tanh"), nn.Elementwise("LogisticSigmoid"))
    assert np.allclose(net(data).numpy(), [0.6817, 0.723927, 0.730085], atol=1e-5)


def test_summary_prints_shapes_and_counts_before_training():
    model = nn.Sequential(nn.LazyConv2d(6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dense(10))
    lines = []
    text = nn.summary(model, (1, 28, 28), print_fn=lines.append)
    assert "('N', 6, 24, 24)" in text and "('N', 864)" in text
    assert f"Total params: {156 + 8650:,}" in text
    assert model[0].weight.shape == (6, 1, 5, 5)


def test_no_function_subclass_or_backward_in_tensorgrad_nn():
    """The nn package is built only from primitives: it may not define a Function subclass or a
    method called backward anywhere."""
    root = pathlib.Path(nn.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any("Function" in b for b in bases):
                    offenders.append(f"{path.name}: class {node.name}({', '.join(bases)})")
            if isinstance(node, ast.FunctionDef) and node.name == "backward":
                offenders.append(f"{path.name}: def backward")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names]
                module = getattr(node, "module", "") or ""
                if "backends" in module or any("backends" in n for n in names):
                    offenders.append(f"{path.name}: imports kernels ({module})")
    assert not offenders, offenders


def test_forward_hooks_can_replace_inputs_and_outputs():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(args[0]) or out + 1)
    y = layer(tg.ones(3, 2))
    assert np.array_equal(seen[0].numpy(), np.zeros((3, 2)))  # the hook saw the new input
    assert np.allclose(y.detach().numpy(), layer.bias.detach().numpy() + 1)
    pre.remove()
    post.remove()
    x = tg.ones(3, 2)
    assert np.allclose(layer(x).detach().numpy(), nn.functional.linear(x, layer.weight,
                                                                       layer.bias).detach().numpy())


def test_get_submodule_parameter_and_buffer_by_path():
    model = nn.Sequential(Block(), nn.Linear(2, 1))
    assert model.get_submodule("0.fc2") is model[0].fc2
    assert model.get_submodule("") is model
    assert model.get_parameter("0.fc1.weight") is model[0].fc1.weight
    assert model.get_buffer("0.steps") is model[0].steps
    with pytest.raises(AttributeError, match="has no submodule 'fc3'"):
        model.get_submodule("0.fc3")
    with pytest.raises(AttributeError, match="has no parameter 'scale'"):
        model.get_parameter("0.fc1.scale")


def test_assigning_to_buffers_and_parameters_follows_pytorch():
    block = Block()
    block.steps = tg.tensor(5)  # a buffer stays a buffer, so it is still saved
    assert block.state_dict()["steps"].item() == 5
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        block.fc1.weight = tg.ones(4, 3)
    block.fc1.bias = None  # None removes a parameter, as PyTorch
    assert "fc1.bias" not in block.state_dict()


def test_parameter_list_and_dict_register_their_entries():
    plist = nn.ParameterList([tg.ones(2), np.zeros(3)])
    plist.append(tg.full((1,), 2.0))
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in plist)
    pdict = nn.ParameterDict({"scale": tg.ones(3)})
    pdict["shift"] = tg.zeros(3)
    assert list(pdict.keys()) == ["scale", "shift"] and "shift" in pdict

    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = pdict

        def forward(self, x):
            return x * self.p["scale"] + self.p["shift"]

    model = Affine()
    assert sorted(model.state_dict()) == ["p.scale", "p.shift"]
    model(tg.ones(3)).sum().backward()
    assert np.array_equal(pdict["scale"].grad.numpy(), np.ones(3))


def test_utils_flat_vectors_and_value_clipping():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    flat = nn.utils.parameters_to_vector(model.parameters())
    expected = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    assert np.array_equal(flat.detach().numpy(), expected)
    nn.utils.vector_to_parameters(tg.arange(11.0), model.parameters())
    assert np.array_equal(model[0].weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert np.array_equal(model[1].bias.detach().numpy(), [10.0])
    with pytest.raises(tg.ShapeError, match="expected a vector of 11 elements"):
        nn.utils.vector_to_parameters(tg.arange(10.0), model.parameters())
    model(tg.tensor([[10.0, -10.0, 3.0]])).sum().backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    grads = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
    assert np.abs(grads).max() <= 0.5 and np.isclose(np.abs(grads).max(), 0.5)


def _mlp_grads(model, x_np, g_np):
    x = tg.tensor(x_np, requires_grad=True)
    y = model(x)
    y.backward(tg.tensor(g_np))
    return y, [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


def test_sequential_fuses_linear_relu_pairs_exactly():
    """Sequential runs each Linear followed by a ReLU as one fused primitive; outputs and every
    gradient are numpy's formulas (float64), and the plain modules' results where a hook makes
    the pair observable (then the modules are called one by one and the hooks see them)."""
    rng = np.random.default_rng(0)
    x_np, g_np = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 6), nn.ReLU(inplace=True),
                          nn.Linear(6, 2)).to(tg.float64)
    y, fused = _mlp_grads(model, x_np, g_np)
    assert y._node.__class__.__name__ == "Linear"
    assert y._node.inputs[0]._node.__class__.__name__ == "Linear"  # the ReLU inside it
    assert y._node.inputs[0]._node.activation == "relu"
    # numpy's forward and backward of the same network
    (w1, b1), (w2, b2), (w3, b3) = [(m.weight.detach().numpy(), m.bias.detach().numpy())
                                    for m in model if isinstance(m, nn.Linear)]
    h1 = np.maximum(x_np @ w1.T + b1, 0)
    h2 = np.maximum(h1 @ w2.T + b2, 0)
    g2 = (g_np @ w3) * (h2 > 0)
    g1 = (g2 @ w2) * (h1 > 0)
    expected = [h2 @ w3.T + b3, g1 @ w1, g1.T @ x_np, g1.sum(0), g2.T @ h1, g2.sum(0),
                g_np.T @ h2, g_np.sum(0)]
    for got, want in zip(fused, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    model.zero_grad()
    seen = []
    handle = model[1].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    y, plain = _mlp_grads(model, x_np, g_np)
    assert seen == [(5, 4)]  # the hooked ReLU ran as a module
    assert y._node.inputs[0]._node.activation == "relu"  # the unhooked pair still fused
    for got, want in zip(plain, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    handle.remove()


def test_dense_with_relu_activation_is_fused_and_linear_subclasses_are_not():
    """Slugnet's Dense(..., activation=ReLU()) is one fused node; a Linear subclass with its own
    forward is called as written (its forward is not bypassed)."""
    tg.manual_seed(0)
    dense = nn.Dense(4, 3, activation=nn.ReLU())
    x = tg.randn(6, 3)
    y = dense(x)
    assert y._node.activation == "relu"
    w, b = dense.weight.detach().numpy(), dense.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), np.maximum(x.numpy() @ w.T + b, 0),
                               rtol=1e-6)

    class Doubled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    model = nn.Sequential(Doubled(3, 4), nn.ReLU())
    lin = model[0]
    out = model(x)
    ref = np.maximum(2 * (x.numpy() @ lin.weight.detach().numpy().T
                          + lin.bias.detach().numpy()), 0)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-6)
    assert out._node.__class__.__name__ == "Relu"


def test_relu_inplace_overwrites_its_input():
    x = tg.tensor([-1.0, 2.0, -3.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x and x.tolist() == [0.0, 2.0, 0.0]
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_sequential_fuses_conv2d_relu_and_matches_the_plain_modules():
    """Conv2d -> ReLU in a Sequential is one fused node (also with a reflect-padded conv); its
    output and gradients equal the modules called one by one (a hook on each ReLU forces that
    path), in float64."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 5 * 5, 3)).to(tg.float64)
    rng = np.random.default_rng(1)
    x_np, g_np = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((2, 3))
    y, fused = _mlp_grads(model, x_np, g_np)
    conv_out = y._node.inputs[0]._node.inputs[0]._node  # Linear <- Flatten <- conv
    assert conv_out.__class__.__name__ == "Conv2d" and conv_out.activation == "relu"
    model.zero_grad()
    handles = [model[i].register_forward_hook(lambda m, i, o: None) for i in (1, 3)]
    y, plain = _mlp_grads(model, x_np, g_np)
    assert y._node.inputs[0]._node.inputs[0]._node.__class__.__name__ == "Relu"
    for got, want in zip(fused, plain):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for h in handles:
        h.remove()


def test_full_backward_hooks_see_and_replace_gradients():
    """register_full_backward_hook gets (grad_input, grad_output) of a Linear: numpy's
    g W and g; a returned grad_input replaces the gradient flowing on; a backward pre-hook
    replaces grad_output; the input's gradient is None where it needs none; remove() ends it."""
    tg.manual_seed(0)
    lin = nn.Linear(3, 2).to(tg.float64)
    w = lin.weight.detach().numpy()
    rng = np.random.default_rng(2)
    x_np, g_np = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    x = tg.tensor(x_np, requires_grad=True)
    lin(x).backward(tg.tensor(g_np))
    (grad_in,), (grad_out,) = seen[0]
    np.testing.assert_allclose(grad_out.numpy(), g_np)
    np.testing.assert_allclose(grad_in.numpy(), g_np @ w, rtol=1e-12)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    x.grad = None
    lin(x).backward(tg.tensor(g_np))
    np.testing.assert_allclose(x.grad.numpy(), 2 * g_np @ w, rtol=1e-12)
    handle.remove()
    lin2 = nn.Linear(3, 2).to(tg.float64)
    lin2.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    x.grad = None
    lin2(x).backward(tg.tensor(g_np))
    assert not x.grad.numpy().any() and not lin2.weight.grad.numpy().any()
    seen.clear()
    lin3 = nn.Linear(3, 2)
    lin3.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    lin3(tg.ones(1, 3)).sum().backward()
    assert seen == [(None,)]
