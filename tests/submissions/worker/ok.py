import numpy as np


def add(a, b):
    return a + b


def shapes(x):
    return (x.shape, x.T.copy(), {"sum": x.sum(), "rows": [row for row in x]})


def draw():
    return np.random.rand(3)
