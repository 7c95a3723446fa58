package dev.certflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How the CLI's alert commands reach the streams query API: {@code --api} (default
 * {@code $CERTFLOW_API_URL}, else http://localhost:8080) and the bearer token from
 * {@code --token-file} or {@code $CERTFLOW_API_TOKEN}. Neither variable is configuration (no
 * {@code __}), so the configuration loader ignores them. The token is sent only in the header.
 */
public final class ApiClient {
    static final String TOKEN_ENV = "CERTFLOW_API_TOKEN";
    static final String URL_ENV = "CERTFLOW_API_URL";
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--api", description = "Base URL of a streams instance's query API (default: $CERTFLOW_API_URL, else http://localhost:8080).")
    String api;

    @Option(names = "--token-file", description = "File holding the API token (default: $CERTFLOW_API_TOKEN).")
    Path tokenFile;

    Map<String, String> env = System.getenv();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A refusal or failure of the API, with its status and the API's own message. */
    static final class ApiException extends RuntimeException {
        ApiException(String message) {
            super(message, null, false, false);
        }
    }

    String base() {
        String b = api != null ? api : env.getOrDefault(URL_ENV, "http://localhost:8080");
        return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    private String token() throws IOException {
        if (tokenFile != null) {
            try {
                return Files.readString(tokenFile).trim();
            } catch (IOException e) {
                throw new ApiException("cannot read --token-file " + tokenFile + ": " + e.getClass().getSimpleName());
            }
        }
        String t = env.get(TOKEN_ENV);
        return t == null || t.isBlank() ? null : t.trim();
    }

    /** Sends a request; answers the JSON body of a 2xx, else throws with the status and the API's error. */
    JsonNode send(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        String token = token();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiException("cannot reach the query API at " + base() + ": " + e.getClass().getSimpleName());
        }
        JsonNode answer;
        try {
            answer = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            answer = JSON.createObjectNode().put("error", "answer is not JSON");
        }
        if (r.statusCode() / 100 != 2) {
            String hint = r.statusCode() == 401 ? " (give the token with --token-file or $" + TOKEN_ENV + ")" : "";
            throw new ApiException(method + " " + path + " answered " + r.statusCode() + ": " + answer.path("error").asText("") + hint);
        }
        return answer;
    }
}
