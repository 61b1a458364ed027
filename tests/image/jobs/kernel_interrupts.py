#!/usr/bin/env python3
"""kernel_interrupts.py - runs inside the image: a notebook kernel started as Jupyter starts it
(jupyter_client), where a background thread runs a 30 s Spark job (its first use of `sc`), and
the user presses stop in a cell running a long job, then in a cell with top-level `await`
(ipykernel ends it with CancelledError when its awaited sleep ends).
Prints CELL n STATUS SECONDS OUTPUT per cell (SECONDS from the interrupt, for the interrupted
ones) and the cells' RESULT lines. Exit 0 when the kernel answered every cell."""
import sys

import kernel_session

CELLS = [
    "import threading, time\nbg = {}\n"
    "def work():\n"
    "    try:\n"
    "        bg['n'] = sc.parallelize([1], 1).map(lambda x: time.sleep(30) or x).count()\n"
    "    except Exception as e:\n"
    "        bg['error'] = type(e).__name__\n"
    "t = threading.Thread(target=work)\nt.start()\n"
    "while not bg and not (sc._jsc and sc.statusTracker().getActiveJobsIds()):\n"
    "    time.sleep(0.5)",
    "print('STARTED', flush=True)\n"
    "sc.parallelize([1], 1).map(lambda x: time.sleep(600) or x).count()",
    "t.join(90)\nprint('RESULT background', bg)\n"
    "print('RESULT active_jobs', list(sc.statusTracker().getActiveJobsIds()))",
    "import asyncio\nprint('STARTED', flush=True)\nawait asyncio.sleep(20)",
    "print('RESULT alive', spark.range(5).count())",
]


if __name__ == "__main__":
    sys.exit(kernel_session.main(CELLS, interrupted=(2, 4)))
