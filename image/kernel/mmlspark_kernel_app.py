"""mmlspark_kernel_app - the image's notebook kernel (kernel.json runs `python3 -m
mmlspark_kernel_app`): ipykernel's own, whose first answer waits for a listener on its output.

A client that starts a kernel (nbconvert --execute, papermill, jupyter console) connects to it
at once and asks for kernel_info until an answer comes with its status messages on the output
(IOPub) channel. Those messages go to the subscribers the kernel has when it sends them: when the
client's subscription had not reached the kernel yet (ZeroMQ connects in 0.1 s steps), they were
lost, the client waited 0.2 s for them and asked again, and the first cell ran 0.2 to 0.3 s later
(docs/benchmarks.md). Here the output channel is an XPUB socket, which is told of each
subscription, and the kernel starts answering once it has a subscriber, or after
SUBSCRIBER_WAIT seconds without one (a client that connects later is answered as before).
"""
import sys
import threading

SUBSCRIBER_WAIT = 1.0  # s


class XPubContext:
    """A ZeroMQ context whose PUB sockets are XPUB (which also receive the subscriptions)."""

    def __init__(self, context):
        self.context = context

    def socket(self, kind, *args, **kwargs):
        import zmq

        return self.context.socket(zmq.XPUB if kind == zmq.PUB else kind, *args, **kwargs)


def kernel_app_class():
    """ipykernel's IPKernelApp, with an output channel that knows its first subscriber."""
    from ipykernel.kernelapp import IPKernelApp

    class KernelApp(IPKernelApp):
        def init_iopub(self, context):
            self.subscribed = threading.Event()
            super().init_iopub(XPubContext(context))
            thread = self.iopub_thread
            # the subscriptions are read on the thread that sends the output (a socket is used
            # by one thread); one not read yet waits in the socket
            thread.io_loop.add_callback(self._read_subscriptions, thread.socket,
                                        thread.io_loop)

        def _read_subscriptions(self, socket, io_loop):
            from zmq.eventloop.zmqstream import ZMQStream

            self.subscriptions = ZMQStream(socket, io_loop)
            self.subscriptions.on_recv(self._subscription)

        def _subscription(self, frames):
            if frames and frames[0][:1] == b"\x01":  # \x01 subscribe, \x00 unsubscribe
                self.subscribed.set()

        def start(self):
            self.subscribed.wait(SUBSCRIBER_WAIT)
            super().start()

    return KernelApp


def main():
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher does
        del sys.path[0]
    kernel_app_class().launch_instance()


if __name__ == "__main__":
    main()
