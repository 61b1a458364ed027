# /etc/jupyter/jupyter_server_config.py - the image's Jupyter settings (JupyterLab 4 on
# jupyter_server 2). Jupyter's own security checks stay at their defaults: XSRF tokens, the
# Origin check of API and websocket requests, token authentication (mmlspark-init sets the
# token; an empty JUPYTER_TOKEN runs without authentication, with a loud warning).
c = get_config()  # noqa: F821

# A kernel answers a shutdown request at once (its Spark starts in the background); one that is
# still importing cannot, and Jupyter's default wait of 5 s for it would outlast `docker stop`'s
# grace period. After 1 s it gets SIGTERM, then SIGKILL.
c.KernelManager.shutdown_wait_time = 1.0

# Ctrl+C under `docker run -it` reaches Jupyter as SIGINT. Jupyter's stdin is not a terminal
# here (mmlspark-init gives it /dev/null), so there is nobody to ask "Shutdown this Jupyter
# server (y/[n])?": SIGINT stops it the way SIGTERM does (kernels shut down, then exit), instead
# of a KeyboardInterrupt raised wherever the server happens to be.
# Jupyter's stop handler only queues the stop on its event loop, which runs once the extensions
# are loaded: a stop during a start slower than mmlspark-init's grace period would end in
# SIGKILL (exit 137). Before the loop runs nothing needs a clean shutdown (no kernel, no
# client), so a stop then does what the signal does by default: the server ends at once, 128+N.
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from jupyter_server.serverapp import ServerApp  # noqa: E402

_jupyter_init_signal = ServerApp.init_signal


def _mmlspark_init_signal(self):
    _jupyter_init_signal(self)
    stops = [signal.SIGTERM]
    if not (sys.stdin and sys.stdin.isatty()):
        stops.append(signal.SIGINT)
    for signum in stops:
        signal.signal(signum, _stop_now_unless_serving(self))


def _stop_now_unless_serving(app):
    def handler(signum, frame):
        loop = getattr(getattr(app, "io_loop", None), "asyncio_loop", None)
        if loop is not None and loop.is_running():
            app._signal_stop(signum, frame)
            return
        try:
            app.remove_server_info_file()
            app.remove_browser_open_files()
        except Exception:  # noqa: BLE001 - files not written yet
            pass
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    return handler


ServerApp.init_signal = _mmlspark_init_signal

# MMLSPARK_PROXY_HOSTS: host names (comma separated) whose ports Jupyter's /proxy/HOST:PORT/ may
# reach, behind Jupyter's token, besides this container's own (/proxy/PORT/): the compose
# cluster's history server at /proxy/history:18080/, Spark Connect's UI at /proxy/connect:4040/.
c.ServerProxy.host_allowlist = ["localhost", "127.0.0.1"] + [
    h.strip() for h in os.environ.get("MMLSPARK_PROXY_HOSTS", "").split(",") if h.strip()]
