import sys

print("loading" * 1000)
print("warning" * 1000, file=sys.stderr)


def chatty(n):
    for i in range(n):
        print(f"line {i}", "x" * 100)
        print(f"err {i}", file=sys.stderr)
    sys.stdout.flush()
    return n
