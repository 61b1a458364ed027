/*
 * TlsFront - the TLS side of the image's Spark Connect server: accepts TLS (1.2 or 1.3, ALPN h2:
 * gRPC's clients insist on it) on MMLSPARK_CONNECT_PORT and relays each connection's bytes to the
 * plain gRPC server on 127.0.0.1:MMLSPARK_CONNECT_BACKEND_PORT, where TokenGate checks every call.
 * The key comes from the PKCS#12 file MMLSPARK_CONNECT_KEYSTORE (password in
 * MMLSPARK_CONNECT_KEYSTORE_PASSWORD), which mmlspark-role made for this start only: the file is
 * deleted once read, so the private key lives in this JVM alone.
 * A handshake must end within 10 s; at most 256 connections at once (more are closed at once).
 */
package mmlspark.connect;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.util.concurrent.Semaphore;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

final class TlsFront {
    private static final int MAX_CONNECTIONS = 256;
    private static final int HANDSHAKE_MS = 10_000;
    private static boolean started;

    private TlsFront() {}

    static synchronized void startOnce() {
        if (started)
            return;
        try {
            start();
        } catch (Exception e) {
            System.err.println("mmlspark: Spark Connect's TLS port cannot open: " + e);
            System.exit(70);
        }
        started = true;
    }

    private static int port(String name) {
        String v = System.getenv(name);
        if (v == null)
            throw new IllegalStateException(name + " is not set (mmlspark-role sets it)");
        return Integer.parseInt(v);
    }

    private static void start() throws Exception {
        int front = port("MMLSPARK_CONNECT_PORT");
        int back = port("MMLSPARK_CONNECT_BACKEND_PORT");
        String path = System.getenv("MMLSPARK_CONNECT_KEYSTORE");
        String pw = System.getenv("MMLSPARK_CONNECT_KEYSTORE_PASSWORD");
        if (path == null || pw == null)
            throw new IllegalStateException("no key store (mmlspark-role makes it)");
        char[] password = pw.toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            store.load(in, password);
        } finally {
            Path file = Paths.get(path);
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.getParent()); /* mmlspark-role's directory for it, now empty */
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
        SSLParameters params = server.getSSLParameters();
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        params.setApplicationProtocols(new String[] {"h2"});
        server.setSSLParameters(params);
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(front), 128);
        Semaphore slots = new Semaphore(MAX_CONNECTIONS);
        Thread acceptor = new Thread(() -> accept(server, back, slots), "mmlspark-connect-tls");
        acceptor.setDaemon(true);
        acceptor.start();
        System.err.println("mmlspark: Spark Connect listens for TLS on port " + front);
    }

    private static void accept(ServerSocket server, int back, Semaphore slots) {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                /* one failed accept (a reset connection, no descriptor left) is not the server's
                 * end; a pause keeps a lasting failure from spinning */
                try {
                    Thread.sleep(100);
                } catch (InterruptedException stop) {
                    return;
                }
                continue;
            }
            if (!slots.tryAcquire()) {
                closeQuietly(client);
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    relay((SSLSocket) client, back);
                } finally {
                    slots.release();
                }
            }, "mmlspark-connect-relay");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void relay(SSLSocket client, int back) {
        Socket server = null;
        try {
            client.setSoTimeout(HANDSHAKE_MS);
            client.startHandshake();
            client.setSoTimeout(0);
            client.setTcpNoDelay(true);
            server = new Socket(InetAddress.getLoopbackAddress(), back);
            server.setTcpNoDelay(true);
            Socket up = server;
            Thread down = new Thread(() -> pump(up, client), "mmlspark-connect-relay-down");
            down.setDaemon(true);
            down.start();
            pump(client, server);
            down.join();
        } catch (IOException | InterruptedException e) {
            /* a failed handshake or a closed peer ends this connection only */
        } finally {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    /* Copies until either side ends, then closes both (the other pump then ends too). */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            /* the connection ended */
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        if (s == null)
            return;
        try {
            s.close();
        } catch (IOException e) {
            /* nothing left to do */
        }
    }
}
