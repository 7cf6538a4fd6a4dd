import importlib
import os


def importable():
    found = {}
    for name in ("solutions", "solutions.rnn_step_by_step", "grader", "grader.sandbox.wire", "numpy"):
        try:
            importlib.import_module(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return found


def environment():
    return sorted(os.environ)
