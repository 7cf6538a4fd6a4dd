import os


def never_defined_in_time():
    return 1


os._exit(7)
