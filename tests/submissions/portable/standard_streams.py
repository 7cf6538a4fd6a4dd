import os
import sys

print("loading")
os.write(1, b"\x05\x00\x00\x00\x00\x00\x00\x00Vjunk")  # a whole fake frame, below Python's own streams


def shout(n):
    for i in range(n):
        print(f"line {i}", "x" * 100)
        print(f"err {i}", file=sys.stderr)
    sys.stdout.flush()
    os.write(1, b"\xff" * 8)
    os.write(2, b"\xff" * 8)
    sys.stdout.buffer.write(b"\xff" * 8)
    sys.stdout.buffer.flush()
    return n


def ask():
    try:
        return input("your answer? ")
    except EOFError:
        return "end of file"


def read_standard_input():
    return len(os.read(0, 100))
