// MockApiServer: fabric8's Kubernetes mock server in CRUD mode (objects are stored, listed,
// watched, patched and deleted as an API server would, without etcd or admission) on a plain
// HTTP port: java MockApiServer PORT
// Two additions, where an API server differs from the mock: a new pod has status.phase Pending
// (Spark's executor snapshots read it on the first watch event), and a server-side apply (PATCH, application/apply-patch+yaml) of an object that does
// not exist creates it, as a real API server does. Spark 3.5's spark-submit creates the driver's
// Service and ConfigMap that way; the mock alone answers 404.
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import java.net.InetAddress;
import java.net.Socket;
import java.util.HashMap;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okio.Buffer;

public final class MockApiServer {
    static final class Dispatcher extends KubernetesCrudDispatcher {
        private static final ObjectMapper JSON = new ObjectMapper();

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
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
                new HashMap<>(), new Dispatcher(), false);
        server.init(InetAddress.getByName("0.0.0.0"), port);
        System.out.println("MockApiServer listening on port " + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
