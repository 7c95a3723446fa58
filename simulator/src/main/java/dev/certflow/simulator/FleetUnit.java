package dev.certflow.simulator;

import java.time.ZoneId;

/**
 * One tenant of the generated fleet: a Leegality department, a smoxy organisation or a Yeastar PBX.
 *
 * @param index      position of the unit in {@link Fleet#units()}
 * @param kind       source kind as written in the ingest config ({@code leegality}, {@code smoxy}, {@code yeastar})
 * @param sourceName the ingest source name this unit is polled under
 * @param tenant     the tenant part of the certificate key (department id, organisation id, PBX name)
 * @param label      a human name (department name, organisation name, PBX city)
 * @param zone       the zone the source writes local times in
 * @param token      Leegality/smoxy API token (null for Yeastar)
 * @param clientId   Yeastar Client ID (null otherwise)
 * @param clientSecret Yeastar Client Secret (null otherwise)
 */
public record FleetUnit(int index, String kind, String sourceName, String tenant, String label, ZoneId zone,
                        String token, String clientId, String clientSecret) {

    /** Hides the credentials so a unit can be logged. */
    @Override
    public String toString() {
        return "FleetUnit[" + kind + "/" + sourceName + "/" + tenant + "]";
    }
}
