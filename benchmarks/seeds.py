"""The seeds' own from-scratch numpy implementations, as users wrote them: the baseline (h).

- mlp_step: the numpy notebook's Dense/Relu layers, softmax_cross_entropy and its gradient, one
  SGD step (its Network.step), for 784-200-10 at batch 128.
- conv_forward: the CNN notebook's Conv2D (a list comprehension over scipy.signal.convolve2d per
  input/output channel pair), applied image by image.
"""

import numpy as np


class Dense:
    def __init__(self, n_inputs, n_outputs, learning_rate=0.001, rng=None):
        rng = rng or np.random.default_rng(0)
        self.learning_rate = learning_rate
        self.weights = rng.normal(scale=1e-2, size=(n_inputs, n_outputs)).astype(np.float32)
        self.bias = np.zeros((1, n_outputs), dtype=np.float32)

    def forward(self, value):
        return value @ self.weights + self.bias

    def backward(self, value, grad_output):
        grad_input = grad_output @ self.weights.T
        self.weights -= self.learning_rate * (value.T @ grad_output)
        self.bias -= self.learning_rate * np.sum(grad_output, axis=0, keepdims=True)
        return grad_input


class Relu:
    def forward(self, value):
        return np.maximum(value, 0)

    def backward(self, value, grad_output):
        return grad_output * (value > 0)


def softmax_cross_entropy(logits, y_true):
    true_class_logits = logits[np.arange(len(logits)), y_true]
    return -true_class_logits + np.log(np.sum(np.exp(logits), axis=-1))


def grad_softmax_cross_entropy(logits, y_true):
    ones_true_class = np.zeros_like(logits)
    ones_true_class[np.arange(len(logits)), y_true] = 1
    softmax = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return (-ones_true_class + softmax) / logits.shape[0]


def make_mlp():
    return [Dense(784, 200), Relu(), Dense(200, 10)]


def mlp_step(layers, x, y):
    activations = []
    values = x
    for layer in layers:
        values = layer.forward(values)
        activations.append(values)
    inputs = [x] + activations
    logits = inputs.pop()
    loss = softmax_cross_entropy(logits, y)
    grad = grad_softmax_cross_entropy(logits, y)
    for layer, value in zip(layers[::-1], inputs[::-1]):
        grad = layer.backward(value, grad)
    return np.mean(loss)


def conv_forward(data, weights, biases):
    """The notebook's Conv2D ('valid'), weights (C_in, C_out, k, k), one image (C, H, W)."""
    from scipy import signal  # here, not at import: (g) times a fresh import of this package

    return np.asarray([sum([signal.convolve2d(data[i, :, :], weights[i, j, :, :], mode="valid")
                            for i in range(weights.shape[0])]) + biases[j]
                       for j in range(weights.shape[1])])
