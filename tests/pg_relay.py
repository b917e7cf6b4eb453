"""A TCP relay in front of the test server's Unix socket, to play a desk
history server that goes quiet.
Usage: pg_relay.py SOCKET PORT_FILE [PATTERN [lose]]

- SIGSTOP / SIGCONT of this process: a frozen host (no RST, no data; the
  kernel still takes connections and bytes, nothing comes back).
- SIGUSR1: a host gone: every relayed connection is closed and new ones
  are taken and never answered; SIGUSR2 relays again.
- PATTERN: the relay freezes itself (SIGSTOP) on the first bytes from a
  client that contain it, before passing them on.
- PATTERN lose: those bytes are passed on, and then nothing more on that
  connection either way, nor the client's end (a network that broke just
  after the request): the server's side stays open until SIGUSR2. Other
  connections are relayed as usual.
"""
import os
import signal
import socket
import sys
import threading

target, port_file = sys.argv[1], sys.argv[2]
pattern = sys.argv[3].encode() if len(sys.argv) > 3 else None
lose = len(sys.argv) > 4 and sys.argv[4] == "lose"
state = {"black": False, "armed": pattern is not None}
pairs, held, lost = [], [], []
lock = threading.Lock()


def close(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def pump(a, b, from_client):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if (a if not from_client else b) in lost:
                continue  # the network broke: nothing gets through
            if from_client and state["armed"] and pattern in d:
                with lock:
                    state["armed"] = False
                if lose:
                    b.sendall(d)
                    lost.append(b)
                    continue
                os.kill(os.getpid(), signal.SIGSTOP)
            b.sendall(d)
    except OSError:
        pass
    close(a)
    if from_client and b in lost:
        held.append(b)  # the server never hears of the client's end
        return
    close(b)


def black(*_):
    state["black"] = True
    for a, b in pairs:
        close(a)
        close(b)
    pairs.clear()


def white(*_):
    state["black"] = False
    for c in held:
        close(c)
        c.close()
    held.clear()


signal.signal(signal.SIGUSR1, black)
signal.signal(signal.SIGUSR2, white)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = srv.accept()
    if state["black"]:
        held.append(c)
        continue
    u = socket.socket(socket.AF_UNIX)
    u.connect(target)
    pairs.append((c, u))
    threading.Thread(target=pump, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, False), daemon=True).start()
