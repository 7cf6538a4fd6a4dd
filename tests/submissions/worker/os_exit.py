import os


def leave(code):
    os._exit(code)
