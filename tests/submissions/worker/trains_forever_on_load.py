import time


def add(a, b):
    return a + b


epoch = 0
while True:  # a training loop left at the end of a notebook
    epoch += 1


def later(x):
    return 2 * x


history = [epoch]
time.sleep(60)
