import time


def spin():
    while True:
        pass


def sleep():
    time.sleep(3600)


def quick():
    return "done"
