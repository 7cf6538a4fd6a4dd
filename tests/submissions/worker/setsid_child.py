import os
import subprocess
import sys
import time


def spawn(pid_file):
    """Start a process in a session of its own and a double-forked daemon, and record their pids."""
    session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            time.sleep(600)
        os._exit(0)
    daemon = int(os.read(read, 32))
    with open(pid_file, "w") as file:
        file.write(f"{session.pid} {daemon}")
    return [session.pid, daemon]


def orphan_then_exit(pid_file):
    """Fork a process that outlives this one (holding none of its pipes), record its pid, and exit."""
    pid = os.fork()
    if pid == 0:
        os.closerange(3, 4096)
        time.sleep(600)
        os._exit(0)
    with open(pid_file, "w") as file:
        file.write(str(pid))
    os._exit(0)
