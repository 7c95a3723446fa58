/**
 * Simulated upstream certificate APIs for the one-JVM demo, end-to-end tests and benchmarks.
 *
 * <p>{@link dev.certflow.simulator.Simulator#start(SimulatorOptions)} serves, on one loopback port:
 * <ul>
 *   <li>Leegality: {@code GET /leegality/{source}/api/v1/certificates/expiring-soon?days=&departmentId=}
 *       ({@code X-Auth-Token})</li>
 *   <li>smoxy: {@code GET /api/organizations/{org}/certificates[/{id}[/attempts[/{attemptId}]]]}
 *       ({@code X-API-TOKEN} or Bearer; Hydra paging with {@code page}/{@code itemsPerPage})</li>
 *   <li>Yeastar: {@code POST /yeastar/{pbx}/openapi/v1.0/get_token}, {@code .../refresh_token},
 *       {@code GET .../certificate/list?access_token=&page=&page_size=}</li>
 * </ul>
 * for a {@link dev.certflow.simulator.Fleet} generated from a seed, on a
 * {@link dev.certflow.simulator.SimClock} that may run faster than real time. Background certificates
 * have realistic lifetimes and renew on schedule ({@link dev.certflow.simulator.RenewalMode}); the
 * scripted part of the fleet ({@link dev.certflow.simulator.Profile}: the scripted day or the renewal
 * year; {@link dev.certflow.simulator.Fleet#scenario()}, {@link dev.certflow.simulator.Fleet#outages()})
 * tells tests what the pipeline should see and conclude, and when.
 */
package dev.certflow.simulator;
