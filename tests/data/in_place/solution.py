"""A small assignment whose graded functions must update one argument in place and leave another unchanged."""

import numpy as np


def scale(parameters, factor):
    """Multiply every array of ``parameters`` by ``factor``, in place; return the number of arrays."""
    ### START CODE HERE ###
    for key in parameters:
        parameters[key] *= factor
    ### END CODE HERE ###
    return len(parameters)


def normalized(x):
    """``x`` divided by the sum of its absolute values; ``x`` itself is left as it was."""
    ### START CODE HERE ###
    y = x / np.abs(x).sum()
    ### END CODE HERE ###
    return y


def accumulate(totals, x):
    """Add ``x`` to ``totals["sum"]`` in place, and return ``totals``."""
    ### START CODE HERE ###
    totals["sum"] += x
    ### END CODE HERE ###
    return totals
