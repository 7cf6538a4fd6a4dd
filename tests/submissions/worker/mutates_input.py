def scale(x):
    x *= 2
    return x
