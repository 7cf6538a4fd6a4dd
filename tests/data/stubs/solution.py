"""A small exercise: moving averages."""

import numpy as np

WINDOW = 3


def helper(x):
    """Given to students, no region."""
    return x + 1


def running_mean(x, window=WINDOW):
    """Mean of each window of ``x``."""
    n = x.shape[0]

    ### START CODE HERE ###
    # allocate the output (≈1 line)
    out = np.zeros(n - window + 1)
    ### END CODE HERE ###

    for i in range(n - window + 1):
        ### START CODE HERE ###
        # sum the window, then divide (≈2 lines)
        total = x[i:i + window].sum()
        out[i] = total / window
        ### END CODE HERE ###

    return out  # the caller checks the shape


class Counter:
    def __init__(self):
        ### START CODE HERE ###
        self.count = 0
        ### END CODE HERE ###
