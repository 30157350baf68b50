# The cluster lane's stand-in for systemd's notification socket (sd_notify(3)), run by
# unit-runner.ts inside a guest: binds a unix datagram socket at argv[1] with SO_PASSCRED and
# prints one JSON line per datagram: {"t": guest wall ms, "pid": sender pid, "msg": text}.
# (node has no unix datagram sockets.) Ends when its stdin closes (the runner went away).
import json, os, socket, struct, sys, threading, time

path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
print(json.dumps({"bound": path}), flush=True)

def watch_stdin():
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=watch_stdin, daemon=True).start()
creds = struct.calcsize("iII")
while True:
    data, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(creds))
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:creds])[0]
    print(json.dumps({"t": int(time.time() * 1000), "pid": pid, "msg": data.decode("utf-8", "replace")}), flush=True)
