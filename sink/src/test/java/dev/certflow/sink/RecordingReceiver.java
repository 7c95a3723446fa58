package dev.certflow.sink;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;

/**
 * A real HTTP receiver on loopback (PagerDuty-, Slack- or webhook-shaped) that records every
 * request and answers from a script: the next scripted statuses first, then the default; it can
 * also answer slowly.
 */
public final class RecordingReceiver implements AutoCloseable {
    public record Request(String method, String path, Map<String, List<String>> headers, String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .map(e -> e.getValue().get(0)).orElse(null);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Integer> script = new ConcurrentLinkedDeque<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile int defaultStatus;
    private volatile String errorBody = "";
    private volatile Duration delay = Duration.ZERO;

    public RecordingReceiver(int defaultStatus) throws IOException {
        this.defaultStatus = defaultStatus;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body));
            Integer scripted = script.pollFirst();
            int status = scripted != null ? scripted : this.defaultStatus;
            try {
                if (!delay.isZero()) {
                    closing.await(delay.toMillis(), TimeUnit.MILLISECONDS); // answering slowly, not waiting for anything
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] out = (status >= 400 ? errorBody : "{\"status\":\"success\"}").getBytes(StandardCharsets.UTF_8);
            if (status == 429) {
                ex.getResponseHeaders().set("Retry-After", "0");
            }
            try {
                ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            } catch (IOException e) {
                // the client gave up (timeout): fine
            } finally {
                ex.close();
            }
        });
        server.setExecutor(executor);
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    RecordingReceiver then(int... statuses) {
        for (int s : statuses) {
            script.addLast(s);
        }
        return this;
    }

    public RecordingReceiver answering(int status, String body) {
        this.defaultStatus = status;
        this.errorBody = body;
        return this;
    }

    RecordingReceiver slow(Duration d) {
        this.delay = d;
        return this;
    }

    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    public int count() {
        return requests.size();
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
