# /etc/jupyter/jupyter_server_config.py - the image's Jupyter settings (JupyterLab 4 on
# jupyter_server 2). Jupyter's own security checks stay at their defaults: XSRF tokens, the
# Origin check of API and websocket requests, token authentication (mmlspark-init sets the
# token; an empty JUPYTER_TOKEN runs without authentication, with a loud warning).
c = get_config()  # noqa: F821

# A kernel answers a shutdown request at once (its Spark starts in the background); one that is
# still importing cannot, and Jupyter's default wait of 5 s for it would outlast `docker stop`'s
# grace period. After 1 s it gets SIGTERM, then SIGKILL.
c.KernelManager.shutdown_wait_time = 1.0
