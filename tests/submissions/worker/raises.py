def helper(x):
    return x / 0


def divide(x):
    return helper(x)


def recurse(n):
    return recurse(n + 1)


class Loud(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


def unprintable(x):
    raise Loud()
