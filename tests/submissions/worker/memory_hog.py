import os
import signal

import numpy as np


def hog():
    return np.ones((1024, 1024, 1024))


def hog_list():
    return [0] * 10**10


def small():
    return np.zeros(3)


def fill_then_die():
    """Touch most of the memory limit, then die the way the kernel's out-of-memory killer kills."""
    filled = np.ones(400 * 1024**2 // 8)
    os.kill(os.getpid(), signal.SIGKILL)
    return filled
