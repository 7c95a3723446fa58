package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Interactive queries over the state stores, across instances: each instance reads the partitions
 * it hosts and asks every other instance (found through {@code application.server} metadata) for
 * theirs with {@code local=true}, then merges and sorts, so any instance gives the same answer.
 */
public final class QueryService {
    /** Thrown when the answer cannot be complete (rebalancing, a peer unreachable); the API answers 503. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What the queries read from Kafka Streams. A seam so the queries also run over other stores
     * (a TopologyTestDriver's); every method may throw {@link InvalidStateStoreException} while
     * Kafka Streams starts or rebalances, which the API answers with 503.
     */
    public interface StreamsState {
        <K, V> ReadOnlyKeyValueStore<K, V> store(String name);

        KeyQueryMetadata metadataForKey(String store, String key);

        Collection<StreamsMetadata> metadataForStore(String store);

        /** For messages. */
        String state();

        /**
         * The store of each partition this instance hosts, one by one: a store handle over every
         * local task answers a range scan task after task, not in one key order, and a counter per task.
         */
        default <K, V> List<ReadOnlyKeyValueStore<K, V>> partitions(String name) {
            return List.of(store(name));
        }

        static StreamsState of(KafkaStreams streams, HostInfo self) {
            return new StreamsState() {
                @Override
                public <K, V> List<ReadOnlyKeyValueStore<K, V>> partitions(String name) {
                    java.util.TreeSet<Integer> numbers = new java.util.TreeSet<>();
                    for (StreamsMetadata m : streams.streamsMetadataForStore(name)) {
                        if (self == null || m.hostInfo().equals(self)) {
                            m.topicPartitions().forEach(tp -> numbers.add(tp.partition()));
                        }
                    }
                    List<ReadOnlyKeyValueStore<K, V>> out = new ArrayList<>();
                    for (int p : numbers) {
                        out.add(streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()).withPartition(p)));
                    }
                    return out;
                }

                @Override
                public <K, V> ReadOnlyKeyValueStore<K, V> store(String name) {
                    return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()));
                }

                @Override
                public KeyQueryMetadata metadataForKey(String store, String key) {
                    return streams.queryMetadataForKey(store, key, Serdes.String().serializer());
                }

                @Override
                public Collection<StreamsMetadata> metadataForStore(String store) {
                    return streams.streamsMetadataForStore(store);
                }

                @Override
                public String state() {
                    return streams.state().name();
                }
            };
        }
    }

    private final StreamsState streams;
    private final HostInfo self;
    private final Time time;
    private final RenewalPolicy policy;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile dev.certflow.runtime.config.Secret peerToken;
    private volatile dev.certflow.runtime.owners.OwnerRules ownerRules = dev.certflow.runtime.owners.OwnerRules.none();

    public QueryService(KafkaStreams streams, HostInfo self, Time time, RenewalPolicy policy) {
        this(StreamsState.of(streams, self), self, time, policy);
    }

    /** Over any stores (a TopologyTestDriver's in tests and benchmarks). */
    public QueryService(StreamsState streams, HostInfo self, Time time, RenewalPolicy policy) {
        this.streams = streams;
        this.self = self;
        this.time = time;
        this.policy = policy;
    }

    <K, V> List<ReadOnlyKeyValueStore<K, V>> partitions(String name) {
        return ask(() -> streams.partitions(name), "store " + name + " is not queryable");
    }

    /** The bearer token sent with requests to peers (their read token), or null when reads are open. */
    QueryService withPeerToken(dev.certflow.runtime.config.Secret token) {
        this.peerToken = token;
        return this;
    }

    /** The owners rules, for the {@code owner} of list items that carry none of their own. */
    QueryService withOwners(dev.certflow.runtime.owners.OwnerRules rules) {
        this.ownerRules = rules;
        return this;
    }

    /** The owner of a stored value: its own field, or the rules' answer for a bare certificate. */
    private String ownerOf(Object value) {
        if (value instanceof Certificate c) {
            return Owners.of(ownerRules, c.getKey(), c);
        }
        if (value instanceof org.apache.avro.specific.SpecificRecord r && r.getSchema().getField("owner") != null) {
            Object o = r.get(r.getSchema().getField("owner").pos());
            return o == null ? null : o.toString();
        }
        return null;
    }

    /** "Now" of the queries (the application's clock). */
    long now() {
        return time.milliseconds();
    }

    /** The FIRING alerts (certificate and source alerts) of every instance as JSON, oldest first. */
    public List<JsonNode> activeAlerts(boolean localOnly) {
        List<JsonNode> out = new ArrayList<>();
        for (String name : new String[]{Names.CERTIFICATE_ALERT_STORE, Names.SOURCE_ALERT_STORE}) {
            ReadOnlyKeyValueStore<String, dev.certflow.events.Alert> s = store(name);
            try (KeyValueIterator<String, dev.certflow.events.Alert> it = s.all()) {
                it.forEachRemaining(e -> out.add(AvroJson.of(e.value)));
            }
        }
        if (!localOnly) {
            java.util.Set<HostInfo> peers = new java.util.LinkedHashSet<>();
            for (String name : new String[]{Names.CERTIFICATE_ALERT_STORE, Names.SOURCE_ALERT_STORE}) {
                for (StreamsMetadata m : ask(() -> streams.metadataForStore(name), "the instances hosting " + name + " are not known")) {
                    if (self != null && !m.hostInfo().equals(self) && m.hostInfo().port() >= 0) {
                        peers.add(m.hostInfo());
                    }
                }
            }
            for (HostInfo peer : peers) {
                get(peer, "/v1/alerts?local=true", false).path("items").forEach(out::add);
            }
        }
        out.sort(byInstant(n -> n.path("firedAt")).thenComparing(n -> n.path("alertId").asText()));
        return out;
    }

    /** Every silence (active, pending and expired) from this instance's global store, which holds them all. */
    public List<dev.certflow.events.Silence> silences() {
        ReadOnlyKeyValueStore<String, dev.certflow.events.Silence> s = store(Names.SILENCE_STORE);
        List<dev.certflow.events.Silence> out = new ArrayList<>();
        try (KeyValueIterator<String, dev.certflow.events.Silence> it = s.all()) {
            it.forEachRemaining(e -> out.add(e.value));
        }
        out.sort(Comparator.comparing(dev.certflow.events.Silence::getStartsAt).thenComparing(dev.certflow.events.Silence::getSilenceId));
        return out;
    }

    /** One silence, or null. */
    public dev.certflow.events.Silence silence(String id) {
        return this.<String, dev.certflow.events.Silence>store(Names.SILENCE_STORE).get(id);
    }

    <K, V> ReadOnlyKeyValueStore<K, V> store(String name) {
        return ask(() -> streams.store(name), "store " + name + " is not queryable");
    }

    /** Kafka Streams' metadata and store handles throw while it is not running or rebalancing: an answer for later. */
    private <T> T ask(Supplier<T> call, String what) {
        try {
            return call.get();
        } catch (InvalidStateStoreException | IllegalStateException e) {
            throw new Unavailable(what + " now (Kafka Streams " + streams.state() + ")", e);
        }
    }

    /** Certificates with notAfter before now + days (expired included), optional tenant/source filter, expiry ascending. */
    public ArrayNode expiringSoon(int days, String tenant, String source, boolean localOnly) {
        String query = "/v1/certificates/expiring-soon?days=" + days + param("tenant", tenant) + param("source", source);
        List<JsonNode> items = new ArrayList<>(localExpiringSoon(days, tenant, source));
        if (!localOnly) {
            items.addAll(fromPeers(Names.EXPIRY_ORDER_STORE, query));
        }
        items.sort(byInstant(n -> n.path("certificate").path("notAfter")).thenComparing(n -> n.path("key").asText()));
        return toArray(items);
    }

    List<JsonNode> localExpiringSoon(int days, String tenant, String source) {
        long now = time.milliseconds();
        ReadOnlyKeyValueStore<Bytes, byte[]> order = store(Names.EXPIRY_ORDER_STORE);
        ReadOnlyKeyValueStore<String, Certificate> certificates = store(Names.CERTIFICATE_STORE);
        ReadOnlyKeyValueStore<String, ExpiringCertificate> expiring = store(Names.EXPIRING_STORE);
        RenewalStores renewalStores = renewalStores();
        List<JsonNode> out = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = order.range(TimeIndex.first(), TimeIndex.upTo(now + days * ExpiryRules.DAY))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> e = it.next();
                String key = TimeIndex.certificateKey(e.key);
                Certificate c = certificates.get(key);
                if (c == null || c.getNotAfter() == null
                        || (tenant != null && !tenant.equals(c.getKey().getTenant()))
                        || (source != null && !source.equals(c.getKey().getSourceName()))) {
                    continue;
                }
                ObjectNode row = AvroJson.MAPPER.createObjectNode();
                row.put("key", key);
                row.put("daysLeft", ExpiryRules.daysLeft(c.getNotAfter().toEpochMilli(), now));
                ExpiringCertificate bucket = expiring.get(key);
                row.put("bucket", bucket == null ? null : bucket.getBucket());
                row.put("owner", ownerOf(c));
                renewal(row, key, c, now, renewalStores);
                row.set("certificate", AvroJson.of(c));
                out.add(row);
            }
        }
        return out;
    }

    /**
     * The renewal state of a certificate now (renewalStatus, expectedRenewalAt, renewalOverdueAt,
     * renewalPolicy, replacedBy), from the same stores and policy the topology evaluates with.
     */
    private record RenewalStores(ReadOnlyKeyValueStore<String, Generation> generations,
                                 ReadOnlyKeyValueStore<String, dev.certflow.events.CertificateNameMatch> matches) {
    }

    private RenewalStores renewalStores() {
        return new RenewalStores(store(Names.GENERATION_STORE), store(Names.MATCH_STORE));
    }

    private void renewal(ObjectNode row, String key, Certificate c, long now, RenewalStores stores) {
        if (!policy.enabled() || !ExpiryRules.hasKnownExpiry(c)) {
            row.put("renewalStatus", dev.certflow.events.RenewalStatus.UNKNOWN.name());
            row.putNull("expectedRenewalAt");
            row.putNull("renewalOverdueAt");
            row.put("renewalPolicy", policy.enabled() ? null : "disabled");
            row.putNull("replacedBy");
            return;
        }
        RenewalPolicy.Assessment a = policy.assess(c, stores.generations().get(key), stores.matches().get(key), now);
        row.put("renewalStatus", a.status().name());
        row.put("expectedRenewalAt", Instant.ofEpochMilli(a.plan().expectedAt()).toString());
        row.put("renewalOverdueAt", Instant.ofEpochMilli(a.plan().overdueAt()).toString());
        row.put("renewalPolicy", a.plan().label());
        row.put("renewalMode", a.plan().mode().name().toLowerCase(java.util.Locale.ROOT));
        row.put("replacedBy", a.replacedBy());
    }

    /** Certificates past their expected renewal point plus grace with no renewal, longest overdue first. */
    public ArrayNode renewalOverdue(boolean localOnly) {
        List<JsonNode> items = new ArrayList<>(localAll(Names.EXPIRING_STORE,
                (ExpiringCertificate e) -> e.getRenewalStatus() == dev.certflow.events.RenewalStatus.OVERDUE));
        if (!localOnly) {
            items.addAll(fromPeers(Names.EXPIRING_STORE, "/v1/certificates/renewal-overdue?"));
        }
        items.sort(byInstant(n -> n.path("value").path("renewalOverdueAt")).thenComparing(n -> n.path("key").asText()));
        return toArray(items);
    }

    /** Every failed renewal, oldest first failure first. */
    public ArrayNode failedRenewals(boolean localOnly) {
        List<JsonNode> items = new ArrayList<>(localAll(Names.FAILED_STORE, (FailedRenewal f) -> true));
        if (!localOnly) {
            items.addAll(fromPeers(Names.FAILED_STORE, "/v1/renewals/failed?"));
        }
        items.sort(byInstant(n -> n.path("value").path("firstFailureAt")).thenComparing(n -> n.path("key").asText()));
        return toArray(items);
    }

    /** Certificates without a usable expiry, by key. */
    public ArrayNode expiryUnknown(boolean localOnly) {
        List<JsonNode> items = new ArrayList<>(localAll(Names.UNKNOWN_EXPIRY_STORE, (Certificate c) -> true));
        if (!localOnly) {
            items.addAll(fromPeers(Names.UNKNOWN_EXPIRY_STORE, "/v1/certificates/expiry-unknown?"));
        }
        items.sort(Comparator.comparing(n -> n.path("key").asText()));
        return toArray(items);
    }

    private <V extends org.apache.avro.specific.SpecificRecord> List<JsonNode> localAll(String storeName, Predicate<V> filter) {
        ReadOnlyKeyValueStore<String, V> store = store(storeName);
        List<JsonNode> out = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, V> e = it.next();
                if (filter.test(e.value)) {
                    ObjectNode row = AvroJson.MAPPER.createObjectNode();
                    row.put("key", e.key);
                    row.put("owner", ownerOf(e.value));
                    row.set("value", AvroJson.of(e.value));
                    out.add(row);
                }
            }
        }
        return out;
    }

    /** One certificate with its table rows, from whichever instance hosts its partition; null when unknown. */
    public JsonNode certificate(String key, boolean localOnly) {
        KeyQueryMetadata meta = ask(() -> streams.metadataForKey(Names.CERTIFICATE_STORE, key), "no instance hosts certificate " + key);
        if (meta == null || meta.activeHost() == null || meta.activeHost().port() < 0) {
            throw new Unavailable("no instance hosts certificate " + key + " now", null);
        }
        if (!localOnly && self != null && !meta.activeHost().equals(self)) {
            JsonNode remote = get(meta.activeHost(), "/v1/certificates/" + key + "?local=true", true);
            return remote == null || remote.isNull() ? null : remote;
        }
        Certificate c = this.<String, Certificate>store(Names.CERTIFICATE_STORE).get(key);
        if (c == null) {
            return null;
        }
        long now = time.milliseconds();
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        out.put("key", key);
        out.set("certificate", AvroJson.of(c));
        if (c.getNotAfter() != null) {
            out.put("daysLeft", ExpiryRules.daysLeft(c.getNotAfter().toEpochMilli(), now));
        }
        ObjectNode renewal = AvroJson.MAPPER.createObjectNode();
        RenewalStores renewalStores = renewalStores();
        renewal(renewal, key, c, now, renewalStores);
        dev.certflow.events.CertificateNameMatch m = renewalStores.matches().get(key);
        renewal.set("nameMatch", m == null ? null : AvroJson.of(m));
        out.set("renewal", renewal);
        ExpiringCertificate e = this.<String, ExpiringCertificate>store(Names.EXPIRING_STORE).get(key);
        out.set("expiring", e == null ? null : AvroJson.of(e));
        FailedRenewal f = this.<String, FailedRenewal>store(Names.FAILED_STORE).get(key);
        out.set("failedRenewal", f == null ? null : AvroJson.of(f));
        FleetIndex.Entry entry = this.<String, FleetIndex.Entry>store(Names.FLEET_SUMMARY_STORE).get(key);
        out.set("states", FleetQueries.stateLabels(entry));
        CertificateHistory.Events h = this.<String, CertificateHistory.Events>store(Names.HISTORY_STORE).get(key);
        out.set("history", FleetQueries.history(h));
        return out;
    }

    private List<JsonNode> fromPeers(String storeName, String pathAndQuery) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode answer : peerAnswers(storeName, pathAndQuery)) {
            answer.path("items").forEach(out::add);
        }
        return out;
    }

    /** The whole answer of every other instance hosting {@code storeName} to {@code pathAndQuery} with local=true. */
    List<JsonNode> peerAnswers(String storeName, String pathAndQuery) {
        List<JsonNode> out = new ArrayList<>();
        String sep = pathAndQuery.endsWith("?") ? "" : pathAndQuery.contains("?") ? "&" : "?";
        for (StreamsMetadata m : ask(() -> streams.metadataForStore(storeName), "the instances hosting " + storeName + " are not known")) {
            if (self == null || m.hostInfo().equals(self) || m.hostInfo().port() < 0) {
                continue;
            }
            out.add(get(m.hostInfo(), pathAndQuery + sep + "local=true", false));
        }
        return out;
    }

    /** Every instance hosting the certificates' stores (host:port), this one included; empty while that is not known. */
    List<String> instances() {
        try {
            List<String> out = new ArrayList<>();
            for (StreamsMetadata m : streams.metadataForStore(Names.CERTIFICATE_STORE)) {
                out.add(m.hostInfo().host() + ":" + m.hostInfo().port());
            }
            out.sort(Comparator.naturalOrder());
            return out;
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    HostInfo self() {
        return self;
    }

    Time time() {
        return time;
    }

    String state() {
        return streams.state();
    }

    /** The host of a certificate's partition, or null when it is this instance (or only this one is known). */
    HostInfo hostOf(String key) {
        KeyQueryMetadata meta = ask(() -> streams.metadataForKey(Names.CERTIFICATE_STORE, key), "no instance hosts certificate " + key);
        if (meta == null || meta.activeHost() == null || meta.activeHost().port() < 0) {
            throw new Unavailable("no instance hosts certificate " + key + " now", null);
        }
        return self != null && !meta.activeHost().equals(self) ? meta.activeHost() : null;
    }

    JsonNode getFrom(HostInfo host, String pathAndQuery) {
        return get(host, pathAndQuery, true);
    }

    private JsonNode get(HostInfo host, String pathAndQuery, boolean notFoundIsNull) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery);
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
            dev.certflow.runtime.config.Secret token = peerToken;
            if (token != null) {
                request.header("Authorization", "Bearer " + token.reveal());
            }
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404 && notFoundIsNull) {
                return null;
            }
            if (r.statusCode() != 200) {
                throw new Unavailable("instance " + host.host() + ":" + host.port() + " answered " + r.statusCode() + " for " + pathAndQuery, null);
            }
            return AvroJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new Unavailable("instance " + host.host() + ":" + host.port() + " unreachable for " + pathAndQuery, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted asking " + host, e);
        }
    }

    /**
     * Orders by the instant in a JSON field, missing last. Not by its text: Instant.toString drops
     * zero fractions, so "...:00.500Z" would sort before "...:00Z".
     */
    static Comparator<JsonNode> byInstant(Function<JsonNode, JsonNode> field) {
        return Comparator.comparing((JsonNode n) -> {
            JsonNode v = field.apply(n);
            return v.isTextual() ? Instant.parse(v.asText()) : null;
        }, Comparator.nullsLast(Comparator.naturalOrder()));
    }

    private static ArrayNode toArray(List<JsonNode> items) {
        ArrayNode a = AvroJson.MAPPER.createArrayNode();
        items.forEach(a::add);
        return a;
    }

    private static String param(String name, String value) {
        return value == null ? "" : "&" + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
