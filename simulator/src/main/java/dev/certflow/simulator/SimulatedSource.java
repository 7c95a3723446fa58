package dev.certflow.simulator;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One source as the ingest config should name it.
 *
 * @param kind     {@code leegality}, {@code smoxy} or {@code yeastar}
 * @param name     the unique source name
 * @param baseUrl  the base URL the ingest worker appends the documented paths to
 * @param settings exactly the ingest config keys of that kind besides kind/name/baseUrl (leegality: token,
 *                 departmentIds (comma-separated), days, zone; smoxy: organizationId, token, authScheme,
 *                 itemsPerPage; yeastar: clientId, clientSecret, zone, pageSize, userAgent)
 */
public record SimulatedSource(String kind, String name, String baseUrl, Map<String, String> settings) {
    /** The settings that are credentials: an ingest configuration refers to them as {@code ${VAR}}, never inline. */
    public static final Set<String> CREDENTIAL_KEYS = Set.of("token", "clientId", "clientSecret");

    public SimulatedSource {
        settings = Map.copyOf(settings);
    }

    /** The environment variable holding one credential: {@code SIM_<NAME>_<KEY>}, for example {@code SIM_PBX_BERLIN_CLIENT_SECRET}. */
    public String variable(String key) {
        String snakeKey = key.replaceAll("([a-z])([A-Z])", "$1_$2");
        return ("SIM_" + name + "_" + snakeKey).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** This source's credentials by {@link #variable}, for the environment of whoever polls it. */
    public Map<String, String> credentials() {
        Map<String, String> env = new LinkedHashMap<>();
        settings.forEach((k, v) -> {
            if (CREDENTIAL_KEYS.contains(k)) {
                env.put(variable(k), v);
            }
        });
        return env;
    }

    /** Credentials stay out of logs. */
    @Override
    public String toString() {
        return "SimulatedSource[" + kind + " " + name + " " + baseUrl + "]";
    }
}
