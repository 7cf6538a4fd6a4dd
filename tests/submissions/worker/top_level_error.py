import sys

first = 1
ratio = first / 0
second = 2
sys.exit(4)


def later():
    return first + second


@undefined_decorator
def decorated():
    return 1
