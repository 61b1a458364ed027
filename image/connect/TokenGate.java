/*
 * TokenGate - the door of the image's Spark Connect server (SPARK_MODE=connect, docs/connect.md).
 *
 * Spark 3.5's Connect server has no authentication and no TLS of its own, and listens on every
 * address. Spark loads this class as a gRPC interceptor (spark.connect.grpc.interceptor.classes):
 * every call must carry "authorization: Bearer SECRET", SECRET being the cluster's shared secret
 * (_SPARK_AUTH_SECRET, which spark-env.sh puts in the JVM's environment, never on a command
 * line); any other call ends UNAUTHENTICATED before Spark sees it. When the interceptor is made,
 * it also opens the TLS side (TlsFront) that pyspark's clients need to send a token at all.
 */
package mmlspark.connect;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

public final class TokenGate implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] expected;

    public TokenGate() {
        String secret = System.getenv("_SPARK_AUTH_SECRET");
        if (secret == null || secret.isEmpty())
            throw new IllegalStateException("mmlspark: Spark Connect needs the cluster's secret "
                    + "(SPARK_AUTH_SECRET_FILE or SPARK_AUTH_SECRET): none reached the server");
        expected = ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
        TlsFront.startOnce();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String given = headers.get(AUTHORIZATION);
        /* MessageDigest.isEqual takes the same time whatever the first difference */
        if (given == null
                || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
            call.close(Status.UNAUTHENTICATED.withDescription(given == null
                    ? "this Spark Connect server needs a token: sc://HOST:PORT/;token=SECRET"
                    : "the token is not this server's"), new Metadata());
            return new ServerCall.Listener<Q>() {};
        }
        return next.startCall(call, headers);
    }
}
