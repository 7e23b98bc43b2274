"""The intake worker process: `python -m gateway.http.worker FD` (started by cpu.ProcessRunner,
never by hand). FD is its end of a socket pair; cpu.serve says what travels on it."""

from __future__ import annotations

import socket
import sys

from gateway.http.cpu import serve

if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
