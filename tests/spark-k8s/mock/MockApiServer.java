// MockApiServer: fabric8's Kubernetes mock server in CRUD mode (objects are stored, listed,
// watched, patched and deleted as an API server would, without etcd or admission) on a plain
// HTTP port: java MockApiServer PORT [TOKEN RESOURCE,RESOURCE,... [TLSPORT KEYSTORE.p12]]
// (TLSPORT: the same objects over HTTPS, with the key and certificate of KEYSTORE, password
// "changeit": the address pods reach as kubernetes.default.svc)
// Where an API server differs from the mock, it behaves as the API server:
// - a new pod has status.phase Pending (Spark's executor snapshots read it on the first event);
// - a server-side apply (PATCH, application/apply-patch+yaml) of an object that does not exist
//   creates it (Spark 3.5's spark-submit creates the driver's Service and ConfigMap that way);
// - deleting a pod is graceful: it gets metadata.deletionTimestamp (now + its grace period) and
//   deletionGracePeriodSeconds, watchers see it MODIFIED; the kubelet runs its preStop hook, stops
//   it and deletes it for good with gracePeriodSeconds=0 (then watchers see DELETED). The mock
//   holds a pod by a finalizer of its own (mmlspark.test/kubelet), which that last delete drops;
//   a collection delete (Spark's at its end) marks each pod the same way;
// - a request with "Authorization: Bearer TOKEN" (the service account's) may only touch the
//   RESOURCEs of its namespace (the README's Role): anything else is 403 Forbidden. Requests
//   without a token are the cluster admin's (the test harness, the kubelet).
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.security.KeyStore;
import java.net.Socket;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okio.Buffer;

public final class MockApiServer {
    static final class Dispatcher extends KubernetesCrudDispatcher {
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final Pattern NAMESPACED = Pattern.compile("/api/v1/namespaces/[^/]+/([^/?]+).*");
        private static final Pattern POD = Pattern.compile("/api/v1/namespaces/[^/]+/pods/[^/]+");
        private static final String KUBELET = "mmlspark.test/kubelet";
        private final String token;
        private final Set<String> resources;

        Dispatcher(String token, Set<String> resources) {
            this.token = token;
            this.resources = resources;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String auth = request.getHeader("Authorization");
            if (token != null && auth != null && auth.equals("Bearer " + token)) {
                System.out.println("service account: " + request.getRequestLine());
                Matcher m = NAMESPACED.matcher(request.getPath());
                if (!m.matches() || !resources.contains(m.group(1))) {
                    System.out.println("403 for the service account: " + request.getRequestLine());
                    System.out.flush();
                    return new MockResponse().setResponseCode(403).setBody(
                            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                            + "\"reason\":\"Forbidden\",\"code\":403,\"message\":\"forbidden: "
                            + "outside the Role spark-driver\"}");
                }
            }
            String object = request.getPath().replaceAll("\\?.*", "");
            if ("DELETE".equals(request.getMethod()) && POD.matcher(object).matches()) {
                return deleteGracefully(request, object);
            }
            return super.dispatch(request);
        }

        private MockResponse deleteGracefully(RecordedRequest request, String object) {
            try {
                MockResponse current = handleGet(object);
                if (!current.getStatus().contains(" 200 ")) {
                    return super.handleDelete(object);
                }
                ObjectNode pod = (ObjectNode) JSON.readTree(current.getBody().clone().readUtf8());
                long grace = pod.path("spec").path("terminationGracePeriodSeconds").asLong(30);
                String body = request.getBody().clone().readUtf8();
                if (request.getPath().contains("gracePeriodSeconds=0")) {
                    grace = 0;
                } else if (!body.isEmpty() && JSON.readTree(body).has("gracePeriodSeconds")) {
                    grace = JSON.readTree(body).get("gracePeriodSeconds").asLong();
                }
                if (grace > 0 && pod.path("metadata").has("deletionTimestamp")) {
                    return current; // already terminating
                }
                ObjectNode patch = JSON.createObjectNode();
                ObjectNode meta = patch.putObject("metadata")
                        .put("deletionTimestamp", Instant.now().plusSeconds(grace)
                                .truncatedTo(ChronoUnit.SECONDS).toString())
                        .put("deletionGracePeriodSeconds", grace);
                if (grace == 0) { // the kubelet lets go: the pod is gone
                    meta.putNull("finalizers");
                }
                Buffer b = new Buffer().writeUtf8(JSON.writeValueAsString(patch));
                return super.handlePatch(copy(request, "PATCH " + object + " HTTP/1.1",
                        "application/merge-patch+json", b));
            } catch (java.io.IOException | ClassCastException e) {
                return super.handleDelete(object);
            }
        }

        private static RecordedRequest copy(RecordedRequest r, String line, String type, Buffer body) {
            return new RecordedRequest(line, r.getHeaders().newBuilder().set("Content-Type", type).build(),
                    r.getChunkSizes(), body.size(), body, r.getSequenceNumber(), new Socket());
        }

        @Override
        public MockResponse handleCreate(RecordedRequest request) {
            String path = request.getPath().replaceAll("\\?.*", "");
            if (!path.matches("/api/v1/namespaces/[^/]+/pods")) {
                return super.handleCreate(request);
            }
            try {
                ObjectNode pod = (ObjectNode) JSON.readTree(request.getBody().clone().readUtf8());
                if (!pod.has("status")) {
                    pod.putObject("status").put("phase", "Pending");
                }
                // the kubelet's hold: a deleted pod stays (terminating) until its kubelet lets go
                pod.with("metadata").putArray("finalizers").add(KUBELET);
                Buffer body = new Buffer().writeUtf8(JSON.writeValueAsString(pod));
                return super.handleCreate(copy(request, request.getRequestLine(), "application/json", body));
            } catch (java.io.IOException | ClassCastException e) {
                return super.handleCreate(request);
            }
        }

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String type = request.getHeader("Content-Type");
            String path = request.getPath();
            String object = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            if (type == null || !type.startsWith("application/apply-patch")) {
                return super.handlePatch(request);
            }
            Buffer patch = request.getBody().clone();
            if (handleGet(object).getStatus().contains(" 200 ")) { // an update: a merge patch
                return super.handlePatch(copy(request, request.getRequestLine(),
                        "application/merge-patch+json", patch));
            }
            String collection = object.substring(0, object.lastIndexOf('/'));
            RecordedRequest create = copy(request, "POST " + collection + " HTTP/1.1",
                    "application/json", patch);
            return handleCreate(create);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String token = args.length > 2 ? args[1] : null;
        Set<String> resources = args.length > 2 ? new HashSet<>(Arrays.asList(args[2].split(",")))
                : new HashSet<>();
        Dispatcher dispatcher = new Dispatcher(token, resources);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
                new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getByName("0.0.0.0"), port);
        System.out.println("MockApiServer listening on port " + port);
        if (args.length > 4) { // the in-cluster address: HTTPS on TLSPORT, same objects
            int tlsPort = Integer.parseInt(args[3]);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (FileInputStream in = new FileInputStream(args[4])) {
                keys.load(in, "changeit".toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, "changeit".toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            MockWebServer https = new MockWebServer();
            https.setDispatcher(dispatcher);
            https.useHttps(tls.getSocketFactory(), false);
            https.start(InetAddress.getByName("0.0.0.0"), tlsPort);
            System.out.println("MockApiServer listening for HTTPS on port " + tlsPort);
        }
        System.out.flush();
        Thread.currentThread().join();
    }
}
