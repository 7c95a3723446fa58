package dev.certflow.streams;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;

/**
 * The web dashboard, served at {@code /} of the query API's port from the jar itself (nothing from
 * the internet): the page, its script and style ({@code dev/certflow/streams/dashboard/}) and
 * Chart.js from its WebJar, with its licence at {@code /assets/chart.js-LICENSE.md}. Everything is
 * read once at start and sent gzip-compressed when the browser accepts it. The page reads only the
 * documented query API.
 */
final class Dashboard implements HttpHandler {
    private static final String BASE = "dev/certflow/streams/dashboard/";
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private record Asset(String type, byte[] plain, byte[] gzip, String cache) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    Dashboard() {
        String html = "text/html; charset=utf-8";
        add("/", BASE + "index.html", html, "no-cache");
        add("/index.html", BASE + "index.html", html, "no-cache");
        add("/assets/app.js", BASE + "app.js", "text/javascript; charset=utf-8", "no-cache");
        add("/assets/app.css", BASE + "app.css", "text/css; charset=utf-8", "no-cache");
        add("/assets/favicon.svg", BASE + "favicon.svg", "image/svg+xml", "max-age=86400");
        String chart = "META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/";
        add("/assets/chart.umd.js", chart + "dist/chart.umd.js", "text/javascript; charset=utf-8", "max-age=86400");
        add("/assets/chart.js-LICENSE.md", chart + "LICENSE.md", "text/markdown; charset=utf-8", "max-age=86400");
    }

    /** The Chart.js version on the classpath, from its WebJar's Maven metadata (one place: the POM). */
    static String chartJsVersion() {
        try (InputStream in = resource("META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void add(String path, String resource, String type, String cache) {
        try (InputStream in = resource(resource)) {
            byte[] plain = in.readAllBytes();
            ByteArrayOutputStream z = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(z)) {
                g.write(plain);
            }
            assets.put(path, new Asset(type, plain, z.toByteArray(), cache));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("the dashboard's resource " + name + " is missing from the classpath");
        }
        return in;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            Asset a = assets.get(ex.getRequestURI().getRawPath());
            if (a == null || !(method.equals("GET") || method.equals("HEAD"))) {
                byte[] body = (a == null ? "not found: " + ex.getRequestURI().getRawPath() + " (the dashboard is at /, the query API under /v1/)"
                        : "only GET").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(a == null ? 404 : 405, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            String accept = ex.getRequestHeaders().getFirst("Accept-Encoding");
            boolean gzip = accept != null && accept.contains("gzip");
            byte[] body = gzip ? a.gzip() : a.plain();
            var h = ex.getResponseHeaders();
            h.set("Content-Type", a.type());
            h.set("Cache-Control", a.cache());
            h.set("X-Content-Type-Options", "nosniff");
            h.set("Referrer-Policy", "no-referrer");
            h.set("Content-Security-Policy", CSP);
            h.set("Vary", "Accept-Encoding");
            if (gzip) {
                h.set("Content-Encoding", "gzip");
            }
            boolean head = method.equals("HEAD");
            ex.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }
}
