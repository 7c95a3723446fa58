package dev.certflow.simulator;

import java.util.Map;

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

    public SimulatedSource {
        settings = Map.copyOf(settings);
    }

    /** Credentials stay out of logs. */
    @Override
    public String toString() {
        return "SimulatedSource[" + kind + " " + name + " " + baseUrl + "]";
    }
}
