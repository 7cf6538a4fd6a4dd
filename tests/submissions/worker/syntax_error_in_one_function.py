import numpy as np


def before(x):
    return x + 1


def broken(x):
    y = x +* 2
    return y


@staticmethod
def decorated(x):
    return x


def unclosed(x):
    return np.sum((x, x)


def after(x):
    return x * 2


LIMIT = 10
