"""Tails LOG_DIR/app.log (following rotations) and notes when each request id's request line first appears.

    python3 tail_app_log.py LOG_DIR OUT.json

Polls every millisecond; prints the number of request ids seen, one number a line, about every 100 ms (the bench
reads the last one); on SIGINT writes {request id: wall-clock time first seen} to OUT.json and exits. Runs in a
process of its own so that the load generator's threads do not delay it."""
import json
import os
import re
import signal
import sys
import time

LINE = re.compile(rb"^\S+ \S+ \w+ \[([^\]]*)\] (?:GET|POST) ")
log_dir, out = sys.argv[1], sys.argv[2]
path = os.path.join(log_dir, "app.log")
seen: dict[str, float] = {}
stop = False


def finish(*_):
    global stop
    stop = True


signal.signal(signal.SIGINT, finish)
signal.signal(signal.SIGTERM, finish)
handle = None
inode = None
rest = b""
last_report = 0.0
while not stop:
    if handle is None:
        try:
            handle = open(path, "rb")
            inode = os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            time.sleep(0.001)
            continue
    chunk = handle.read()
    now = time.time()
    if chunk:
        data = rest + chunk
        lines = data.split(b"\n")
        rest = lines.pop()
        for line in lines:
            m = LINE.match(line)
            if m:
                seen.setdefault(m.group(1).decode(), now)
    else:
        try:
            if os.stat(path).st_ino != inode:  # rotated: finish the old file, then follow the new one
                handle.close()
                handle = None
                continue
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    if now - last_report > 0.1:
        print(len(seen), flush=True)
        last_report = now
print(len(seen), flush=True)
with open(out, "w") as f:
    json.dump(seen, f)
