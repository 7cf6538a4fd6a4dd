import numpy as np


def matrix():
    return np.matrix([[1.0, 2.0]])


def big(n):
    return np.zeros(n)
