"""Double-forks a detached daemon (new session, named 'judgeattackd') that tries to outlive the run."""

import ctypes
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"judgeattackd", 0, 0, 0)  # PR_SET_NAME
        while True:
            try:
                with open("/tmp/judgeattackd.heartbeat", "w") as f:
                    f.write(str(time.time()))
            except OSError:
                pass
            time.sleep(0.2)
    os._exit(0)
time.sleep(0.5)
raise NotImplementedError
