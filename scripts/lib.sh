# Shared shell helpers for the scripts in this folder. Sourced, not run.

die() {
    echo "error: $*" >&2
    exit 1
}

# True when nothing listens on 127.0.0.1:PORT.
port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits up to SECONDS for process PID to exit; false if it is still there.
wait_for_exit() {
    local pid=$1 seconds=$2 i
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$pid" 2>/dev/null
}

# Waits up to SECONDS for something to listen on 127.0.0.1:PORT.
wait_for_port() {
    local port=$1 seconds=$2 i
    for ((i = 0; i < seconds * 10; i++)); do
        port_is_free "$port" || return 0
        sleep 0.1
    done
    return 1
}

# N free TCP ports on 127.0.0.1, one per line.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
for s in sockets:
    print(s.getsockname()[1])
EOF
}

# A Python interpreter that has aiosmtpd (Debian's python3-aiosmtpd installs into the system Python).
aiosmtpd_python() {
    local candidate
    for candidate in /usr/bin/python3 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import aiosmtpd' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
