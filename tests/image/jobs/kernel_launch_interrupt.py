#!/usr/bin/env python3
"""kernel_launch_interrupt.py - runs inside the image: in a new notebook kernel the user's builder
asks for a package from a repository that never answers (a local socket that accepts and stays
silent), so Spark's launch hangs in its package resolution; the user presses stop once. Prints
CELL n STATUS SECONDS OUTPUT per cell and the RESULT lines: the Java processes left a moment
later, and a job of the default session afterwards. Exit 0 when the kernel answered every cell."""
import sys

import kernel_session

CELLS = [
    "import socket, threading, time\n"
    "srv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen(8)\nheld = []\n"
    "threading.Thread(target=lambda: [held.append(srv.accept()) for _ in iter(int, 1)],\n"
    "                 daemon=True).start()\n"
    "from pyspark.sql import SparkSession\nprint('STARTED', flush=True)\n"
    "spark = (SparkSession.builder.config('spark.jars.packages', 'org.example:silent:1.0')\n"
    "         .config('spark.jars.repositories', 'http://127.0.0.1:%d/' % srv.getsockname()[1])\n"
    "         .getOrCreate())",
    "import os\ntime.sleep(3)\n"
    "java = [p for p in os.listdir('/proc') if p.isdigit() and b'java' in\n"
    "        open('/proc/%s/cmdline' % p, 'rb').read().split(b'\\0')[0]]\n"
    "print('RESULT java_left', len(java))",
    "print('RESULT after', spark.range(3).count())",
]

if __name__ == "__main__":
    sys.exit(kernel_session.main(CELLS, interrupted=(1,)))
