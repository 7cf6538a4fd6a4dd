"""Functions that reach out of the sandbox, each in one way; the tests call them with places they control."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def read(path):
    with open(path, "rb") as file:
        return len(file.read())


def write(path, text):
    with open(path, "w") as file:
        file.write(text)
    return path


def change_mode(path):
    os.chmod(path, 0o777)


def where():
    """The working, home and temporary directories, after writing a file and a folder in the first."""
    write("note.txt", "kept in scratch")
    os.mkdir("folder")
    write(os.path.join("folder", "inner.txt"), "nested")
    return os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"], tempfile.gettempdir(), sorted(os.listdir("."))


def lock_a_folder():
    """A folder nobody may enter, with a file inside: the scratch directory must still be deleted."""
    os.mkdir("locked")
    write(os.path.join("locked", "inside.txt"), "x")
    os.chmod("locked", 0)
    return os.getcwd()


def connect_tcp(port):
    socket.create_connection(("127.0.0.1", port), timeout=1).sendall(b"escaped")


def send_udp(port):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"escaped", ("127.0.0.1", port))


def connect_unix(path):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b"escaped")


def kill(pid):
    os.kill(pid, 9)
    return pid


def kill_parent():
    parent = os.getppid()
    os.kill(parent, 9)
    return parent


def parent_environ():
    return read(f"/proc/{os.getppid()}/environ")


def spawn(marker):
    """A process in a session of its own and a double-forked daemon, both sleeping; their pids as seen here."""
    command = [sys.executable, "-c", "import time; time.sleep(600)", marker]
    session = subprocess.Popen(command, start_new_session=True)
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()
        os.write(write_end, str(subprocess.Popen(command).pid).encode())
        os._exit(0)
    daemon = int(os.read(read_end, 32))
    return [session.pid, daemon]


def open_files():
    return [open(os.devnull) for _ in range(100_000)]


def big_file(mib):
    with open("big.bin", "wb") as file:
        for _ in range(mib):
            file.write(b"\0" * 2**20)


def die_of_file_size(mib):
    """Write past the file size limit with SIGXFSZ's default action (Python ignores it)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    big_file(mib)


def fork_many(count):
    """Fork ``count`` children that sleep a little; each fork may fail."""
    for _ in range(count):
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)


def spin(ignore_cpu_signal=False):
    if ignore_cpu_signal:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    while True:
        pass
