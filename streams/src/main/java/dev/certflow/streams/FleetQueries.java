package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The dashboard's queries (the {@code /v1/info}, {@code /v1/summary}, {@code /v1/timeline},
 * {@code /v1/certificates}, {@code /v1/alerts} and {@code /v1/sources} endpoints) over the
 * aggregates {@link FleetIndex} keeps, across instances like every query: each instance answers for
 * its partitions ({@code local=true}) and the one asked merges its peers' answers.
 *
 * <p>Nothing here scans the inventory: counts and the timeline read counters; a page is one range
 * scan of the index whose order is the page's order, narrowed by the most selective filter; a
 * filter set of at most {@link #MATERIALISE} certificates is read whole and sorted; a search reads
 * the name indexes. A scan that would examine more than {@link #BUDGET} entries stops and says how
 * far it got ({@code partial}, {@code next}), so no request costs more than that.
 */
final class FleetQueries {
    static final int MAX_PAGE = 500;
    static final int BUDGET = 20_000;
    static final int MATERIALISE = 20_000;
    static final int SEARCH_CAP = 2_000;
    /** A point read of a store through interactive queries costs about this many sequential reads (measured at 300,000 certificates). */
    static final int POINT_READ = 10;
    private static final StringSerializer STRINGS = new StringSerializer();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** What {@code /v1/info} reports besides the live state; features are false until issue 12's parts exist. */
    record Info(String applicationId, List<Integer> thresholdDays, boolean renewalPolicy,
                boolean owners, boolean acknowledgements, boolean silences) {
    }

    private final QueryService q;
    private final Info info;

    FleetQueries(QueryService q, Info info) {
        this.q = q;
        this.info = info;
    }

    // ---------------------------------------------------------------- info

    /** This instance, its state, the configuration the page shows and which features exist. Never 503. */
    ObjectNode info() {
        ObjectNode o = AvroJson.MAPPER.createObjectNode();
        HostInfo self = q.self();
        o.put("instance", self == null ? null : self.host() + ":" + self.port());
        o.put("applicationId", info.applicationId());
        o.put("state", q.state());
        o.put("ready", "RUNNING".equals(q.state()));
        o.put("now", Instant.ofEpochMilli(q.time().milliseconds()).toString());
        ArrayNode floors = o.putArray("thresholdDays");
        info.thresholdDays().forEach(floors::add);
        o.put("renewalPolicy", info.renewalPolicy());
        ObjectNode f = o.putObject("features");
        f.put("owners", info.owners());
        f.put("acknowledgements", info.acknowledgements());
        f.put("silences", info.silences());
        ArrayNode instances = o.putArray("instances");
        q.instances().forEach(instances::add);
        return o;
    }

    // ---------------------------------------------------------------- summary

    /**
     * Counts per state (for the fleet, or one tenant, source or owner; {@code owner=-}: the unowned),
     * firing alerts per kind, tenants, sources and owners with their sizes; the fleet's counts also
     * have {@code unowned}.
     */
    ObjectNode summary(String tenant, String source, String owner, boolean local) {
        ObjectNode out = localSummary(tenant, source, owner);
        if (!local) {
            for (JsonNode peer : q.peerAnswers(Names.FLEET_COUNTS_STORE, "/v1/summary?" + params("tenant", tenant, "source", source, "owner", owner))) {
                mergeSums(out.with("counts"), peer.path("counts"));
                mergeSums(out.with("alerts"), peer.path("alerts"));
                for (String list : NAMED) {
                    mergeNamed(out.withArray(list), peer.path(list));
                }
                out.put("updatedAt", later(out.path("updatedAt"), peer.path("updatedAt")));
            }
            for (String list : NAMED) {
                out.set(list, sortedByName(out.withArray(list)));
            }
            // SOURCE_DOWN lives in the source-status tasks: counted from their stores
            ArrayNode sources = sources(false);
            long down = 0;
            for (JsonNode s : sources) {
                down += s.path("down").asBoolean() ? 1 : 0;
            }
            out.with("alerts").put("SOURCE_DOWN", down);
            long firing = 0;
            for (JsonNode v : out.with("alerts")) {
                firing += v.asLong();
            }
            out.put("firingAlerts", firing);
        }
        return out;
    }

    private static final List<String> NAMED = List.of("tenants", "sources", "owners");

    private ObjectNode localSummary(String tenant, String source, String owner) {
        Counts counts = new Counts(q.partitions(Names.FLEET_COUNTS_STORE));
        byte[] scope = tenant != null ? FleetIndex.concat(new byte[]{FleetIndex.SCOPE_TENANT}, FleetIndex.utf8(encTenant(tenant)))
                : source != null ? FleetIndex.concat(new byte[]{FleetIndex.SCOPE_SOURCE}, FleetIndex.utf8(encPart(source)))
                : owner != null ? ownerScope(owner)
                : new byte[]{FleetIndex.SCOPE_FLEET};
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        ObjectNode c = out.putObject("counts");
        c.put("total", value(counts, FleetIndex.counter(scope, FleetIndex.ALL)));
        for (FleetIndex.State s : FleetIndex.State.values()) {
            c.put(s.label, value(counts, FleetIndex.counter(scope, s.code())));
        }
        if (tenant == null && source == null && owner == null) {
            c.put("unowned", value(counts, FleetIndex.counter(ownerScope(FleetIndex.UNOWNED), FleetIndex.ALL)));
        }
        ObjectNode alerts = out.putObject("alerts");
        for (KeyValue<Bytes, Long> e : counts.prefix(new byte[]{FleetIndex.ALERTS})) {
            byte[] k = e.key.get();
            alerts.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), e.value);
        }
        out.set("tenants", named(counts, FleetIndex.SCOPE_TENANT));
        out.set("sources", named(counts, FleetIndex.SCOPE_SOURCE));
        out.set("owners", named(counts, FleetIndex.SCOPE_OWNER));
        Long updated = counts.max(Bytes.wrap(new byte[]{FleetIndex.UPDATED}));
        out.put("updatedAt", updated == null ? null : Instant.ofEpochMilli(updated).toString());
        return out;
    }

    /** The counter scope of one owner ({@code -}: the unowned). */
    private static byte[] ownerScope(String owner) {
        return FleetIndex.concat(new byte[]{FleetIndex.SCOPE_OWNER}, FleetIndex.utf8(owner));
    }

    /** A scope's part of a key as the API names it: tenants and sources decoded, owners as they are ("-": unowned). */
    private static String partName(byte scope, String part) {
        return scope == FleetIndex.SCOPE_TENANT ? decTenant(part) : scope == FleetIndex.SCOPE_SOURCE ? decPart(part) : part;
    }

    /** Every tenant, source or owner with its number of certificates; the owners' list leaves out the unowned (counts.unowned). */
    private static ArrayNode named(Counts counts, byte scope) {
        ArrayNode out = AvroJson.MAPPER.createArrayNode();
        for (KeyValue<Bytes, Long> e : counts.prefix(new byte[]{FleetIndex.COUNT, scope})) {
            byte[] k = e.key.get();
            if (k[k.length - 1] != FleetIndex.ALL) {
                continue;
            }
            String part = new String(k, 2, k.length - 4, StandardCharsets.UTF_8);
            if (scope == FleetIndex.SCOPE_OWNER && part.equals(FleetIndex.UNOWNED)) {
                continue;
            }
            ObjectNode n = out.addObject();
            n.put("name", partName(scope, part));
            n.put("count", e.value);
        }
        return out;
    }

    // ---------------------------------------------------------------- timeline

    /**
     * Certificates by expiry day, in bins of {@code binDays} UTC days from today for {@code days} days,
     * stacked by tenant, source or owner (or not: {@code by=fleet}); with the counts before, after and
     * without an expiry, so the bins plus those equal the fleet.
     */
    ObjectNode timeline(int days, int binDays, String by, boolean local) {
        long now = q.time().milliseconds();
        int today = (int) Math.floorDiv(now, ExpiryRules.DAY);
        int end = today + days;
        Days mine = localTimeline(today, end, by);
        if (local) {
            return mine.json();
        }
        for (JsonNode peer : q.peerAnswers(Names.FLEET_COUNTS_STORE, "/v1/timeline?days=" + days + "&bin=" + binDays + "&by=" + by)) {
            mine.add(peer);
        }
        // bins of whole days from today
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        out.put("before", mine.before);
        out.put("after", mine.after);
        out.put("unknown", mine.unknown);
        out.put("total", mine.total);
        ArrayNode bins = AvroJson.MAPPER.createArrayNode();
        for (int start = today; start < end; start += binDays) {
            int stop = Math.min(end, start + binDays);
            ObjectNode bin = bins.addObject();
            bin.put("start", Instant.ofEpochMilli(start * ExpiryRules.DAY).toString());
            bin.put("end", Instant.ofEpochMilli(stop * ExpiryRules.DAY).toString());
            TreeMap<String, Long> stacks = new TreeMap<>();
            long total = 0;
            for (Map<String, Long> day : mine.perDay.subMap(start, stop).values()) {
                for (Map.Entry<String, Long> e : day.entrySet()) {
                    stacks.merge(e.getKey(), e.getValue(), Long::sum);
                    total += e.getValue();
                }
            }
            bin.put("total", total);
            ObjectNode st = bin.putObject("stacks");
            stacks.forEach(st::put);
        }
        out.put("from", Instant.ofEpochMilli(today * ExpiryRules.DAY).toString());
        out.put("to", Instant.ofEpochMilli(end * ExpiryRules.DAY).toString());
        out.put("now", Instant.ofEpochMilli(now).toString());
        out.put("binDays", binDays);
        out.put("by", by);
        out.set("bins", bins);
        ArrayNode floors = out.putArray("thresholdDays");
        info.thresholdDays().forEach(floors::add);
        return out;
    }

    /** Certificates by expiry day and stack (an instance's, or summed over instances), with those outside the range. */
    private static final class Days {
        final TreeMap<Integer, Map<String, Long>> perDay = new TreeMap<>();
        long before;
        long after;
        long unknown;
        long total;

        void add(int day, String name, long n) {
            perDay.computeIfAbsent(day, d -> new HashMap<>()).merge(name, n, Long::sum);
        }

        void add(Days other) {
            other.perDay.forEach((day, m) -> m.forEach((name, n) -> add(day, name, n)));
            before += other.before;
            after += other.after;
            unknown += other.unknown;
            total += other.total;
        }

        /** A peer's {@code local=true} answer. */
        void add(JsonNode peer) {
            before += peer.path("before").asLong();
            after += peer.path("after").asLong();
            unknown += peer.path("unknown").asLong();
            total += peer.path("total").asLong();
            peer.path("days").fields().forEachRemaining(d -> {
                int day = Integer.parseInt(d.getKey());
                d.getValue().fields().forEachRemaining(e -> add(day, e.getKey(), e.getValue().asLong()));
            });
        }

        /** The {@code local=true} answer: counts per day, as peers merge them. */
        ObjectNode json() {
            ObjectNode out = AvroJson.MAPPER.createObjectNode();
            out.put("before", before);
            out.put("after", after);
            out.put("unknown", unknown);
            out.put("total", total);
            ObjectNode days = out.putObject("days");
            perDay.forEach((day, m) -> {
                ObjectNode d = days.putObject(Integer.toString(day));
                new TreeMap<>(m).forEach(d::put);
            });
            return out;
        }
    }

    private Days localTimeline(int from, int to, String by) {
        byte dim = "tenant".equals(by) ? FleetIndex.SCOPE_TENANT : "source".equals(by) ? FleetIndex.SCOPE_SOURCE
                : "owner".equals(by) ? FleetIndex.SCOPE_OWNER : FleetIndex.SCOPE_FLEET;
        byte[] lo = FleetIndex.concat(new byte[]{FleetIndex.HISTOGRAM, dim}, FleetIndex.dayBytes(from));
        byte[] hi = FleetIndex.concat(new byte[]{FleetIndex.HISTOGRAM, dim}, FleetIndex.dayBytes(to));
        byte[] fleetDays = {FleetIndex.HISTOGRAM, FleetIndex.SCOPE_FLEET};
        Bytes all = FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, FleetIndex.ALL);
        Bytes unknown = FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, FleetIndex.State.UNKNOWN.code());
        // each partition is read on its own thread and summed after: no per-key merge across partitions
        List<ReadOnlyKeyValueStore<Bytes, Long>> parts = q.partitions(Names.FLEET_COUNTS_STORE);
        List<Days> each = parts.parallelStream().map(store -> {
            Days d = new Days();
            Map<String, String> names = new HashMap<>();
            // the fleet dimension has one entry per day that has certificates: cheap to read whole
            try (KeyValueIterator<Bytes, Long> it = store.range(Bytes.wrap(fleetDays), Bytes.wrap(upper(fleetDays)))) {
                while (it.hasNext()) {
                    KeyValue<Bytes, Long> e = it.next();
                    int day = FleetIndex.day(e.key.get());
                    if (day < from) {
                        d.before += e.value;
                    } else if (day >= to) {
                        d.after += e.value;
                    }
                }
            }
            Long u = store.get(unknown);
            Long t = store.get(all);
            d.unknown = u == null ? 0 : u;
            d.total = t == null ? 0 : t;
            Bytes h = Bytes.wrap(hi);
            try (KeyValueIterator<Bytes, Long> it = store.range(Bytes.wrap(lo), h)) {
                while (it.hasNext()) {
                    KeyValue<Bytes, Long> e = it.next();
                    if (e.key.compareTo(h) >= 0) {
                        continue;
                    }
                    byte[] k = e.key.get();
                    String part = new String(k, 6, k.length - 6, StandardCharsets.UTF_8);
                    String name = dim == FleetIndex.SCOPE_FLEET ? "all" : names.computeIfAbsent(part, x -> partName(dim, x));
                    d.add(FleetIndex.day(k), name, e.value);
                }
            }
            return d;
        }).toList();
        Days out = new Days();
        each.forEach(out::add);
        return out;
    }

    // ---------------------------------------------------------------- certificates (paged)

    /** A page request of {@code /v1/certificates}. Tenant and source as given (decoded); "-" is no tenant, owner "-" the unowned. */
    record Page(FleetIndex.State state, RenewalStatus renewal, String tenant, String source, String owner, String kind, String search,
                Long expiresFrom, Long expiresBefore, String sort, boolean desc, byte[] after, int size) {
        String query() {
            return params("state", state == null ? null : state.label, "renewal", renewal == null ? null : renewal.name(),
                    "tenant", tenant, "source", source, "owner", owner, "kind", kind, "q", search,
                    "expiresFrom", expiresFrom == null ? null : Instant.ofEpochMilli(expiresFrom).toString(),
                    "expiresBefore", expiresBefore == null ? null : Instant.ofEpochMilli(expiresBefore).toString(),
                    "sort", sort, "order", desc ? "desc" : "asc", "after", after == null ? null : B64.encodeToString(after),
                    "size", Integer.toString(size));
        }
    }

    /** One instance's page: its rows in order (with their sort keys), whether it has more, its count (null: not known exactly), how far a stopped scan got. */
    private record Local(List<Row> rows, boolean more, Long count, byte[] horizon, boolean truncated) {
    }

    private record Row(String key, byte[] sortKey, Long notAfter) {
    }

    /** The stores of one partition a page reads. */
    private record Part(ReadOnlyKeyValueStore<Bytes, byte[]> index, Counts counts, ReadOnlyKeyValueStore<String, FleetIndex.Entry> summary,
                        ReadOnlyKeyValueStore<Bytes, byte[]> order, ReadOnlyKeyValueStore<String, Certificate> certs) {
    }

    ObjectNode certificates(Page p, boolean local) {
        List<ReadOnlyKeyValueStore<Bytes, byte[]>> index = q.partitions(Names.FLEET_INDEX_STORE);
        List<ReadOnlyKeyValueStore<Bytes, Long>> counts = q.partitions(Names.FLEET_COUNTS_STORE);
        List<ReadOnlyKeyValueStore<String, FleetIndex.Entry>> summary = q.partitions(Names.FLEET_SUMMARY_STORE);
        List<ReadOnlyKeyValueStore<Bytes, byte[]>> order = q.partitions(Names.EXPIRY_ORDER_STORE);
        List<ReadOnlyKeyValueStore<String, Certificate>> certs = q.partitions(Names.CERTIFICATE_STORE);
        // the partitions answer in parallel: each is its own RocksDB instance, and reads are thread-safe
        List<Answer<Hit>> parts = IntStream.range(0, index.size()).parallel().mapToObj(i -> {
            Local mine = localPage(p, new Part(index.get(i), new Counts(List.of(counts.get(i))), summary.get(i), order.get(i), certs.get(i)));
            return new Answer<>(mine.rows().stream().map(r -> new Hit(r, i)).toList(), mine.more(), mine.count(), mine.horizon(), mine.truncated());
        }).toList();
        // the page is chosen from the partitions' rows first: only its rows are read whole
        Merged<Hit> merged = merge(parts, h -> h.row().sortKey(), p);
        RowStores shared = new RowStores(null, null, q.store(Names.FAILED_STORE), q.store(Names.HISTORY_STORE), q.store(Names.EXPIRING_STORE));
        List<ObjectNode> items = merged.page().stream()
                .map(h -> row(h.row(), new RowStores(certs.get(h.part()), summary.get(h.part()), shared.failed(), shared.history(), shared.expiring())))
                .toList();
        ObjectNode mine = answer(new Merged<>(items, merged.more(), merged.count(), merged.horizon(), merged.truncated(), merged.next()), p);
        if (local) {
            return mine;
        }
        List<Answer<ObjectNode>> answers = new ArrayList<>();
        answers.add(fromJson(mine));
        q.peerAnswers(Names.FLEET_INDEX_STORE, "/v1/certificates?" + p.query()).forEach(a -> answers.add(fromJson(a)));
        return answer(merge(answers, n -> B64D.decode(n.path("sort").asText()), p), p);
    }

    /** A partition's row. */
    private record Hit(Row row, int part) {
    }

    /**
     * One page-answer of a partition or an instance, in the page's order: its items, whether it has more,
     * its count (null: not known exactly), how far a stopped scan got (null: it did not stop), whether a search was cut.
     */
    private record Answer<T>(List<T> items, boolean more, Long count, byte[] horizon, boolean truncated) {
    }

    /** The merged page: its items, and {@code horizon} only when a stopped scan left the page short. */
    private record Merged<T>(List<T> page, boolean more, Long count, byte[] horizon, boolean truncated, byte[] next) {
    }

    private static Answer<ObjectNode> fromJson(JsonNode a) {
        List<ObjectNode> items = new ArrayList<>();
        a.path("items").forEach(n -> items.add((ObjectNode) n));
        return new Answer<>(items, a.path("more").asBoolean(), a.path("count").isNull() || a.path("count").isMissingNode() ? null : a.path("count").asLong(),
                a.path("partial").asBoolean() ? B64D.decode(a.path("next").asText()) : null, a.path("truncated").asBoolean());
    }

    /** One page from the pages of several partitions or instances, each in the page's order. */
    private static <T> Merged<T> merge(List<Answer<T>> answers, java.util.function.Function<T, byte[]> sortOf, Page p) {
        List<T> items = new ArrayList<>();
        boolean more = false;
        boolean truncated = false;
        Long count = 0L;
        byte[] horizon = null;
        for (Answer<T> a : answers) {
            items.addAll(a.items());
            more |= a.more();
            truncated |= a.truncated();
            count = count == null || a.count() == null ? null : count + a.count();
            if (a.horizon() != null) {
                horizon = horizon == null ? a.horizon() : (p.desc() ? max(horizon, a.horizon()) : min(horizon, a.horizon()));
            }
        }
        Comparator<T> order = Comparator.comparing(sortOf, Arrays::compareUnsigned);
        items.sort(p.desc() ? order.reversed() : order);
        List<T> kept = new ArrayList<>();
        for (T n : items) {
            byte[] k = sortOf.apply(n);
            if (horizon != null && (p.desc() ? Arrays.compareUnsigned(k, horizon) < 0 : Arrays.compareUnsigned(k, horizon) > 0)) {
                continue; // beyond where a stopped scan got: what lies there is not known yet
            }
            kept.add(n);
        }
        List<T> page = kept.size() > p.size() ? kept.subList(0, p.size()) : kept;
        more |= kept.size() > p.size() || horizon != null;
        byte[] next = !more ? null : page.size() == p.size() ? sortOf.apply(page.get(page.size() - 1)) : horizon;
        return new Merged<>(page, more, count, horizon != null && page.size() < p.size() ? horizon : null, truncated, next);
    }

    private static ObjectNode answer(Merged<ObjectNode> m, Page p) {
        ObjectNode out = pageAnswer(m.page(), m.more(), m.count(), m.horizon(), m.truncated(), p);
        out.put("next", m.next() == null ? null : B64.encodeToString(m.next()));
        return out;
    }

    private static ObjectNode pageAnswer(List<ObjectNode> items, boolean more, Long count, byte[] horizon, boolean truncated, Page p) {
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        out.put("count", count);
        ArrayNode a = out.putArray("items");
        items.forEach(a::add);
        out.put("more", more);
        out.put("partial", horizon != null);
        out.put("truncated", truncated);
        out.put("next", horizon != null ? B64.encodeToString(horizon)
                : more && !items.isEmpty() ? items.get(items.size() - 1).path("sort").asText() : null);
        out.put("sort", p.sort());
        out.put("order", p.desc() ? "desc" : "asc");
        return out;
    }

    private Local localPage(Page p, Part part) {
        ReadOnlyKeyValueStore<Bytes, byte[]> index = part.index();
        Counts counts = part.counts();
        ReadOnlyKeyValueStore<String, FleetIndex.Entry> summary = part.summary();
        if (p.search() != null) {
            return materialise(search(p.search(), part), p, new Filter(p, index, List.of()), summary, null);
        }
        // the filters an index serves, with their exact sizes here
        List<Driver> drivers = new ArrayList<>();
        if (p.state() != null) {
            drivers.add(Driver.state(p.state(), value(counts, FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, p.state().code()))));
        }
        if (p.renewal() != null) {
            byte code = FleetIndex.renewalCode(p.renewal().name());
            drivers.add(new Driver(FleetIndex.RENEWAL, Character.toString((char) code),
                    value(counts, FleetIndex.counter(new byte[]{FleetIndex.SCOPE_RENEWAL, code}, FleetIndex.ALL))));
        }
        if (p.tenant() != null) {
            drivers.add(new Driver(FleetIndex.TENANT, encTenant(p.tenant()), value(counts,
                    FleetIndex.counter(FleetIndex.concat(new byte[]{FleetIndex.SCOPE_TENANT}, FleetIndex.utf8(encTenant(p.tenant()))), FleetIndex.ALL))));
        }
        if (p.source() != null) {
            drivers.add(new Driver(FleetIndex.SOURCE, encPart(p.source()), value(counts,
                    FleetIndex.counter(FleetIndex.concat(new byte[]{FleetIndex.SCOPE_SOURCE}, FleetIndex.utf8(encPart(p.source()))), FleetIndex.ALL))));
        }
        if (p.owner() != null) {
            drivers.add(new Driver(FleetIndex.OWNER, p.owner(), value(counts, FleetIndex.counter(ownerScope(p.owner()), FleetIndex.ALL))));
        }
        Driver smallest = drivers.stream().min(Comparator.comparingLong(Driver::count)).orElse(null);
        Filter f = new Filter(p, index, drivers);
        boolean oneFilter = drivers.size() == 1 && p.kind() == null && p.expiresFrom() == null && p.expiresBefore() == null;
        Long exact = drivers.isEmpty() && p.kind() == null && p.expiresFrom() == null && p.expiresBefore() == null
                ? (Long) value(counts, FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, FleetIndex.ALL))
                : oneFilter ? (Long) smallest.count() : null;
        boolean alignedWithSort = smallest != null && (p.sort().equals("expiry") || (p.sort().equals("tenant") && smallest.family() == FleetIndex.TENANT)
                || (p.sort().equals("source") && smallest.family() == FleetIndex.SOURCE)
                || (p.sort().equals("owner") && smallest.family() == FleetIndex.OWNER));
        if (smallest != null && !alignedWithSort && smallest.count() <= MATERIALISE && materialiseIsCheaper(p, drivers, smallest, counts)) {
            // the other filters first, from the index: only what passes them has its summary read
            f.servedBy(smallest);
            for (Driver d : drivers) {
                if (d != smallest && d.count() <= POINT_READ * smallest.count()) {
                    Set<Bytes> members = new HashSet<>();
                    scan(index, d.prefix(), null, null, false, Integer.MAX_VALUE, (k, sortKey) -> members.add(Bytes.wrap(sortKey)));
                    f.preload(d, members);
                }
            }
            List<Row> candidates = new ArrayList<>();
            scan(index, smallest.prefix(), null, null, false, Integer.MAX_VALUE, (k, sortKey) -> {
                String key = certificateKey(k);
                if (f.cheap(key, timeOf(k)) && f.indexed(sortKey)) {
                    candidates.add(new Row(key, null, null));
                }
                return true;
            });
            return materialise(candidates, p, f, summary, exact);
        }
        byte[] prefix;
        if (p.sort().equals("expiry")) {
            if (smallest == null) {
                return streamExpiry(index, part.order(), p, f, exact);
            }
            prefix = smallest.prefix();
            f.servedBy(smallest);
        } else {
            byte family = p.sort().equals("tenant") ? FleetIndex.TENANT : p.sort().equals("source") ? FleetIndex.SOURCE
                    : p.sort().equals("owner") ? FleetIndex.OWNER : FleetIndex.DISPLAY;
            prefix = new byte[]{family};
            if (alignedWithSort) {
                // the filter's own part of the family, sort keys still after the family byte
                return stream(index, new byte[]{family}, smallest.prefix(), p, f.servedBy(smallest), exact);
            }
        }
        return stream(index, prefix, prefix, p, f, exact);
    }

    /**
     * Whether reading the smallest filter set whole (a point read of each member's summary, and of the
     * other filters' index keys) costs less than scanning the sort order until a page is found (a
     * sequential read of each certificate passed over, and a point read per other filter), assuming the
     * filters independent. A page the scan would not find within {@link #BUDGET} is always materialised.
     */
    private static boolean materialiseIsCheaper(Page p, List<Driver> drivers, Driver smallest, Counts counts) {
        double total = Math.max(1, value(counts, FleetIndex.counter(new byte[]{FleetIndex.SCOPE_FLEET}, FleetIndex.ALL)));
        double matching = total;
        for (Driver d : drivers) {
            matching *= d.count() / total;
        }
        double examined = p.size() * total / Math.max(1, matching);
        if (examined > BUDGET) {
            return true;
        }
        return smallest.count() * POINT_READ * drivers.size() <= examined * (1 + POINT_READ * drivers.size());
    }

    /** An index family narrowed to one filter value, and how many certificates it holds here. */
    private record Driver(byte family, String part, long count) {
        static Driver state(FleetIndex.State s, long count) {
            return new Driver(FleetIndex.STATE, Character.toString((char) s.code()), count);
        }

        byte[] prefix() {
            return family == FleetIndex.STATE || family == FleetIndex.RENEWAL ? new byte[]{family, (byte) part.charAt(0)}
                    : FleetIndex.concat(new byte[]{family}, FleetIndex.utf8(part), new byte[]{0});
        }
    }

    /**
     * The post-filters of a page (what the driving index did not already narrow). State, renewal and
     * owner are read from the index by point lookups of the certificate's key in their families, not
     * from its summary, unless the summary has been read anyway.
     */
    private static final class Filter {
        final Page p;
        final ReadOnlyKeyValueStore<Bytes, byte[]> index;
        final String tenant;
        final String source;
        private final List<Driver> lookups = new ArrayList<>();
        private final Map<Driver, Set<Bytes>> preloaded = new HashMap<>();

        Filter(Page p, ReadOnlyKeyValueStore<Bytes, byte[]> index, List<Driver> drivers) {
            this.p = p;
            this.index = index;
            tenant = p.tenant() == null ? null : encTenant(p.tenant());
            source = p.source() == null ? null : encPart(p.source());
            for (Driver d : drivers) {
                if (d.family() == FleetIndex.STATE || d.family() == FleetIndex.RENEWAL || d.family() == FleetIndex.OWNER) {
                    lookups.add(d);
                }
            }
        }

        /** The scan runs over this driver's own keys: what it narrows needs no lookup. */
        Filter servedBy(Driver d) {
            lookups.remove(d);
            return this;
        }

        /** This filter's members (their time keys), read in one scan: looked up here instead of in the store. */
        void preload(Driver d, Set<Bytes> timeKeys) {
            preloaded.put(d, timeKeys);
        }

        /** The filters the certificate key and its expiry answer. */
        boolean cheap(String key, long time) {
            String[] parts = key.split("/", -1);
            if ((p.kind() != null && !parts[0].equals(p.kind())) || (tenant != null && !parts[2].equals(tenant))
                    || (source != null && !parts[1].equals(source))) {
                return false;
            }
            return (p.expiresFrom() == null && p.expiresBefore() == null) || (time != Long.MAX_VALUE
                    && (p.expiresFrom() == null || time >= p.expiresFrom()) && (p.expiresBefore() == null || time < p.expiresBefore()));
        }

        /** The filters the index answers, for the certificate with this time key ({@link FleetIndex#timeKey}). */
        boolean indexed(byte[] timeKey) {
            for (Driver d : lookups) {
                Set<Bytes> members = preloaded.get(d);
                if (members != null ? !members.contains(Bytes.wrap(timeKey))
                        : index.get(Bytes.wrap(FleetIndex.concat(d.prefix(), timeKey))) == null) {
                    return false;
                }
            }
            return true;
        }

        /** Whether the certificate passes; {@code known} is its summary entry when already read (null: ask the index). */
        boolean test(String key, long time, FleetIndex.Entry known) {
            if (!cheap(key, time)) {
                return false;
            }
            if (known == null) {
                return indexed(TimeIndex.key(time, key).get());
            }
            return (p.state() == null || known.in(p.state())) && (p.renewal() == null || p.renewal().name().equals(known.renewal()))
                    && (p.owner() == null || p.owner().equals(known.ownerPart()));
        }
    }

    private interface Visitor {
        /** False: stop. */
        boolean visit(byte[] indexKey, byte[] sortKey);
    }

    /**
     * Visits the entries of {@code range} (a key prefix) in order from after {@code after}, with sort keys
     * taken after {@code sortFrom}; at most {@code budget} entries. Returns the last sort key visited
     * when the budget ran out (null otherwise).
     */
    private static byte[] scan(ReadOnlyKeyValueStore<Bytes, byte[]> store, byte[] range, byte[] sortPrefix, byte[] after, boolean desc,
                               int budget, Visitor v) {
        return scan(store, range, range, sortPrefix, after, desc, budget, v);
    }

    private static byte[] scan(ReadOnlyKeyValueStore<Bytes, byte[]> store, byte[] lowerBound, byte[] range, byte[] sortPrefix, byte[] after,
                               boolean desc, int budget, Visitor v) {
        byte[] sp = sortPrefix == null ? range : sortPrefix;
        Bytes lo = Bytes.wrap(lowerBound);
        Bytes hi = Bytes.wrap(upper(range));
        if (after != null) {
            Bytes cursor = Bytes.wrap(FleetIndex.concat(sp, after));
            if (desc) {
                hi = cursor.compareTo(hi) < 0 ? cursor : hi;
            } else {
                lo = cursor.compareTo(lo) > 0 ? cursor : lo;
            }
        }
        if (lo.compareTo(hi) > 0) {
            return null;
        }
        int examined = 0;
        try (KeyValueIterator<Bytes, byte[]> it = desc ? store.reverseRange(lo, hi) : store.range(lo, hi)) {
            while (it.hasNext()) {
                byte[] k = it.next().key.get();
                if (!startsWith(k, range)) {
                    continue; // the exclusive upper bound itself
                }
                byte[] sortKey = Arrays.copyOfRange(k, sp.length, k.length);
                if (after != null && Arrays.equals(sortKey, after)) {
                    continue;
                }
                if (++examined > budget) {
                    return sortKey;
                }
                if (!v.visit(k, sortKey)) {
                    return null;
                }
            }
        }
        return null;
    }

    /** The sort family scanned in order, narrowed to {@code range}, post-filtered, until a page is full or the budget is spent. */
    private Local stream(ReadOnlyKeyValueStore<Bytes, byte[]> index, byte[] sortPrefix, byte[] range, Page p, Filter f, Long exact) {
        List<Row> rows = new ArrayList<>();
        boolean[] more = {false};
        byte[] lower = range;
        boolean timeOrdered = sortPrefix != range || range[0] == FleetIndex.STATE || range[0] == FleetIndex.RENEWAL
                || p.sort().equals("expiry");
        if (p.sort().equals("expiry") && p.expiresFrom() != null && !p.desc()) {
            lower = FleetIndex.concat(range, TimeIndex.from(p.expiresFrom()).get());
        }
        byte[] horizon = scan(index, lower, range, sortPrefix, p.after(), p.desc(), BUDGET, (k, sortKey) -> {
            String key = certificateKey(k);
            long time = timeOf(k);
            if (p.sort().equals("expiry") && timeOrdered && p.expiresBefore() != null && !p.desc() && time >= p.expiresBefore()) {
                return false; // past the range: nothing more can match
            }
            if (!f.test(key, time, null)) {
                return true;
            }
            if (rows.size() == p.size()) {
                more[0] = true;
                return false;
            }
            rows.add(new Row(key, sortKey, time == Long.MAX_VALUE ? null : time));
            return true;
        });
        return new Local(rows, more[0], exact, horizon, false);
    }

    /** Expiry order of the whole fleet: the expiry-order index of the topology, then the certificates without an expiry. */
    private Local streamExpiry(ReadOnlyKeyValueStore<Bytes, byte[]> index, ReadOnlyKeyValueStore<Bytes, byte[]> order, Page p, Filter f, Long exact) {
        List<Row> rows = new ArrayList<>();
        boolean[] more = {false};
        boolean[] done = {false};
        int[] examined = {0};
        byte[] unknownPrefix = {FleetIndex.STATE, FleetIndex.State.UNKNOWN.code()};
        boolean unknownToo = p.expiresFrom() == null && p.expiresBefore() == null;
        Visitor add = (k, sortKey) -> {
            examined[0]++;
            String key = TimeIndex.certificateKey(Bytes.wrap(sortKey));
            long time = TimeIndex.time(Bytes.wrap(sortKey));
            if (p.expiresBefore() != null && !p.desc() && time >= p.expiresBefore()) {
                done[0] = true;
                return false;
            }
            if (!f.test(key, time, null)) {
                return true;
            }
            if (rows.size() == p.size()) {
                more[0] = true;
                done[0] = true;
                return false;
            }
            rows.add(new Row(key, sortKey, time == Long.MAX_VALUE ? null : time));
            return true;
        };
        byte[] after = p.after();
        boolean afterInUnknown = after != null && TimeIndex.time(Bytes.wrap(after)) == Long.MAX_VALUE;
        byte[] horizon = null;
        // ascending: known expiries then unknown; descending: the reverse
        List<Runnable> segments = new ArrayList<>();
        byte[][] hz = new byte[1][];
        Runnable known = () -> {
            if (done[0] || hz[0] != null || (!p.desc() && afterInUnknown)) {
                return;
            }
            byte[] lower = p.expiresFrom() != null && !p.desc() ? TimeIndex.from(p.expiresFrom()).get() : new byte[0];
            byte[] a = p.desc() && afterInUnknown ? null : after;
            hz[0] = scan(order, lower, new byte[0], new byte[0], a, p.desc(), BUDGET - examined[0], add);
        };
        Runnable unknown = () -> {
            if (done[0] || hz[0] != null || !unknownToo || (p.desc() && after != null && !afterInUnknown)) {
                return;
            }
            byte[] a = afterInUnknown ? after : null;
            hz[0] = scan(index, unknownPrefix, unknownPrefix, a, p.desc(), BUDGET - examined[0], add);
        };
        if (p.desc()) {
            segments.add(unknown);
            segments.add(known);
        } else {
            segments.add(known);
            segments.add(unknown);
        }
        segments.forEach(Runnable::run);
        horizon = hz[0];
        return new Local(rows, more[0], exact, horizon, false);
    }

    /** Reads the candidates whole (a small filter set or a search), filters and sorts them, and takes one page. */
    private Local materialise(List<Row> candidates, Page p, Filter f, ReadOnlyKeyValueStore<String, FleetIndex.Entry> summary, Long exactIfKnown) {
        List<Row> rows = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        boolean truncated = candidates.size() >= SEARCH_CAP && p.search() != null;
        for (Row c : candidates) {
            if (!seen.add(c.key())) {
                continue;
            }
            FleetIndex.Entry entry = summary.get(c.key());
            if (entry == null) {
                continue;
            }
            long time = entry.notAfter() == null ? Long.MAX_VALUE : entry.notAfter();
            if (!f.test(c.key(), time, entry)) {
                continue;
            }
            rows.add(new Row(c.key(), sortKey(p.sort(), c.key(), entry), entry.notAfter()));
        }
        Comparator<Row> order = Comparator.comparing(Row::sortKey, Arrays::compareUnsigned);
        rows.sort(p.desc() ? order.reversed() : order);
        long count = rows.size();
        List<Row> page = new ArrayList<>();
        boolean more = false;
        for (Row r : rows) {
            if (p.after() != null && (p.desc() ? Arrays.compareUnsigned(r.sortKey(), p.after()) >= 0 : Arrays.compareUnsigned(r.sortKey(), p.after()) <= 0)) {
                continue;
            }
            if (page.size() == p.size()) {
                more = true;
                break;
            }
            page.add(r);
        }
        return new Local(page, more, truncated ? null : count, null, truncated);
    }

    private static byte[] sortKey(String sort, String key, FleetIndex.Entry e) {
        byte[] tk = FleetIndex.timeKey(e.notAfter(), key);
        String[] parts = key.split("/", -1);
        return switch (sort) {
            case "tenant" -> FleetIndex.concat(FleetIndex.utf8(parts[2]), new byte[]{0}, tk);
            case "source" -> FleetIndex.concat(FleetIndex.utf8(parts[1]), new byte[]{0}, tk);
            case "owner" -> FleetIndex.concat(FleetIndex.utf8(e.ownerPart()), new byte[]{0}, tk);
            case "name" -> FleetIndex.concat(FleetIndex.utf8(e.display()), new byte[]{0}, tk);
            default -> tk;
        };
    }

    /**
     * What a search matches, at most {@link #SEARCH_CAP} certificates here: names (common name, SANs,
     * the source's name) starting with the text; names at or under it as a domain
     * ({@code example.com}: {@code www.example.com}, {@code a.b.example.com}, {@code *.example.com});
     * certificate keys starting with it (when it has a '/').
     */
    private List<Row> search(String text, Part part) {
        ReadOnlyKeyValueStore<Bytes, byte[]> index = part.index();
        List<Row> out = new ArrayList<>();
        String n = DomainNames.normalise(text);
        if (n != null) {
            scan(index, FleetIndex.concat(new byte[]{FleetIndex.NAME}, FleetIndex.utf8(n)), null, null, false, SEARCH_CAP, (k, s) -> {
                out.add(new Row(afterZero(k), null, null));
                return out.size() < SEARCH_CAP;
            });
            byte[] domain = FleetIndex.concat(new byte[]{FleetIndex.DOMAIN}, FleetIndex.utf8(FleetIndex.reversed(n)));
            scan(index, domain, null, null, false, SEARCH_CAP, (k, s) -> {
                byte next = k[domain.length];
                if (next == 0 || next == '.') {
                    out.add(new Row(afterZero(k), null, null));
                }
                return out.size() < SEARCH_CAP;
            });
        }
        if (text.contains("/") && out.size() < SEARCH_CAP) {
            try (KeyValueIterator<String, Certificate> it = part.certs().prefixScan(text.trim(), STRINGS)) {
                while (it.hasNext() && out.size() < SEARCH_CAP) {
                    out.add(new Row(it.next().key, null, null));
                }
            }
        }
        return out;
    }

    private record RowStores(ReadOnlyKeyValueStore<String, Certificate> certs, ReadOnlyKeyValueStore<String, FleetIndex.Entry> summary,
                             ReadOnlyKeyValueStore<String, FailedRenewal> failed, ReadOnlyKeyValueStore<String, CertificateHistory.Events> history,
                             ReadOnlyKeyValueStore<String, dev.certflow.events.ExpiringCertificate> expiring) {
    }

    private ObjectNode row(Row r, RowStores st) {
        ReadOnlyKeyValueStore<String, Certificate> certs = st.certs();
        ReadOnlyKeyValueStore<String, FleetIndex.Entry> summary = st.summary();
        ReadOnlyKeyValueStore<String, FailedRenewal> failed = st.failed();
        ReadOnlyKeyValueStore<String, CertificateHistory.Events> history = st.history();
        long now = q.time().milliseconds();
        ObjectNode o = AvroJson.MAPPER.createObjectNode();
        o.put("key", r.key());
        o.put("sort", B64.encodeToString(r.sortKey()));
        Certificate c = certs.get(r.key());
        FleetIndex.Entry e = summary.get(r.key());
        if (c != null) {
            o.put("name", Alerts.displayName(c, c.getKey()));
            o.put("commonName", c.getCommonName());
            ArrayNode sans = o.putArray("sans");
            c.getSans().forEach(sans::add);
            o.put("tenant", c.getKey().getTenant());
            o.put("source", c.getKey().getSourceName());
            o.put("kind", c.getKey().getSourceKind().name().toLowerCase(Locale.ROOT));
            o.put("notAfter", ExpiryRules.hasKnownExpiry(c) ? c.getNotAfter().toString() : null);
            o.put("expiryStatus", c.getExpiryStatus().name());
            if (ExpiryRules.hasKnownExpiry(c)) {
                o.put("daysLeft", ExpiryRules.daysLeft(c.getNotAfter().toEpochMilli(), now));
            } else {
                o.putNull("daysLeft");
            }
        }
        o.put("owner", e == null ? null : e.owner());
        o.put("renewalStatus", e == null ? null : e.renewal());
        dev.certflow.events.ExpiringCertificate x = st.expiring().get(r.key());
        o.put("bucket", x == null ? null : x.getBucket());
        o.put("expectedRenewalAt", x == null || x.getExpectedRenewalAt() == null ? null : x.getExpectedRenewalAt().toString());
        o.put("renewalOverdueAt", x == null || x.getRenewalOverdueAt() == null ? null : x.getRenewalOverdueAt().toString());
        o.set("states", stateLabels(e));
        o.set("lastAttempt", lastAttempt(history.get(r.key())));
        FailedRenewal f = failed.get(r.key());
        if (f == null) {
            o.putNull("failing");
        } else {
            ObjectNode fo = o.putObject("failing");
            fo.put("consecutiveFailures", f.getConsecutiveFailures());
            fo.put("firstFailureAt", f.getFirstFailureAt().toString());
            fo.put("lastFailureAt", f.getLastFailureAt().toString());
            fo.put("lastErrorCode", f.getLastErrorCode());
            fo.put("lastErrorMessage", f.getLastErrorMessage());
        }
        return o;
    }

    private static JsonNode lastAttempt(CertificateHistory.Events h) {
        if (h != null) {
            for (int i = h.events().size() - 1; i >= 0; i--) {
                CertificateHistory.Event ev = h.events().get(i);
                if ("attempt".equals(ev.type())) {
                    return event(ev);
                }
            }
        }
        return AvroJson.MAPPER.nullNode();
    }

    static ArrayNode stateLabels(FleetIndex.Entry e) {
        ArrayNode a = AvroJson.MAPPER.createArrayNode();
        if (e != null) {
            for (FleetIndex.State s : FleetIndex.State.values()) {
                if (e.in(s)) {
                    a.add(s.label);
                }
            }
        }
        return a;
    }

    static ArrayNode history(CertificateHistory.Events h) {
        ArrayNode a = AvroJson.MAPPER.createArrayNode();
        if (h != null) {
            for (int i = h.events().size() - 1; i >= 0; i--) {
                a.add(event(h.events().get(i))); // newest first
            }
        }
        return a;
    }

    private static ObjectNode event(CertificateHistory.Event ev) {
        ObjectNode o = AvroJson.MAPPER.createObjectNode();
        o.put("type", ev.type());
        o.put("at", Instant.ofEpochMilli(ev.at()).toString());
        o.put("id", ev.id());
        o.put("status", ev.status());
        o.put("kind", ev.kind());
        o.put("code", ev.code());
        o.put("text", ev.text());
        o.put("notAfter", ev.notAfter() == null ? null : Instant.ofEpochMilli(ev.notAfter()).toString());
        o.put("previousNotAfter", ev.previous() == null ? null : Instant.ofEpochMilli(ev.previous()).toString());
        return o;
    }

    // ---------------------------------------------------------------- alerts, sources

    /**
     * Firing alerts: SOURCE_DOWN first, then certificate alerts in the order of their slots (kind
     * group, certificate key), one page at a time after {@code after}; {@code kind} narrows to one kind,
     * {@code owner} to one owner ({@code -}: the unowned). An alert whose incident is acknowledged
     * carries who and when, from the global acknowledgement store every instance keeps alike.
     */
    ObjectNode alerts(String kind, String owner, String after, int size, boolean local) {
        java.util.function.Predicate<Alert> wanted = a -> (kind == null || kind.equals(a.getKind().name()))
                && (owner == null || ("-".equals(owner) ? a.getOwner() == null : owner.equals(a.getOwner())));
        ReadOnlyKeyValueStore<String, Acknowledgement> acks = q.store(Names.ACKNOWLEDGEMENT_STORE);
        List<JsonNode> answers = new ArrayList<>();
        for (ReadOnlyKeyValueStore<String, Alert> active : q.<String, Alert>partitions(Names.CERTIFICATE_ALERT_STORE)) {
            answers.add(alertsIn(active, acks, wanted, after, size));
        }
        List<ObjectNode> items = new ArrayList<>();
        if (after == null) {
            try (KeyValueIterator<String, Alert> it = q.<String, Alert>store(Names.SOURCE_ALERT_STORE).all()) {
                while (it.hasNext()) {
                    KeyValue<String, Alert> e = it.next();
                    if (wanted.test(e.value)) {
                        items.add(alert("!" + e.key, e.value, acks)); // '!' sorts before every certificate alert's slot
                    }
                }
            }
        }
        if (!local) {
            answers.addAll(q.peerAnswers(Names.CERTIFICATE_ALERT_STORE, "/v1/alerts?" + params("kind", kind, "owner", owner, "after", after,
                    "size", Integer.toString(size))));
        }
        boolean more = false;
        String horizon = null;
        for (JsonNode a : answers) {
            a.path("items").forEach(n -> items.add((ObjectNode) n));
            more |= a.path("more").asBoolean();
            if (a.path("partial").asBoolean()) {
                String h = a.path("next").asText();
                horizon = horizon == null || h.compareTo(horizon) < 0 ? h : horizon;
            }
        }
        items.sort(Comparator.comparing(n -> n.path("slot").asText()));
        List<ObjectNode> kept = new ArrayList<>();
        for (ObjectNode n : items) {
            if (horizon == null || n.path("slot").asText().compareTo(horizon) <= 0) {
                kept.add(n);
            }
        }
        int sourceRows = (int) kept.stream().filter(n -> n.path("slot").asText().startsWith("!")).count();
        List<ObjectNode> page = kept.size() > size + sourceRows ? kept.subList(0, size + sourceRows) : kept;
        more |= kept.size() > page.size() || horizon != null;
        String last = page.size() > sourceRows ? page.get(page.size() - 1).path("slot").asText() : null;
        boolean full = page.size() - sourceRows == size;
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        out.put("count", page.size());
        ArrayNode arr = out.putArray("items");
        page.forEach(arr::add);
        out.put("more", more);
        out.put("partial", horizon != null && !full);
        out.put("next", !more ? null : full ? last : horizon);
        return out;
    }

    /** One partition's firing certificate alerts after {@code after}, in slot order. */
    private static ObjectNode alertsIn(ReadOnlyKeyValueStore<String, Alert> active, ReadOnlyKeyValueStore<String, Acknowledgement> acks,
                                       java.util.function.Predicate<Alert> wanted, String after, int size) {
        List<ObjectNode> items = new ArrayList<>();
        boolean more = false;
        int examined = 0;
        String horizon = null;
        try (KeyValueIterator<String, Alert> it = after == null ? active.all() : active.range(after, null)) {
            while (it.hasNext()) {
                KeyValue<String, Alert> e = it.next();
                if (e.key.equals(after)) {
                    continue;
                }
                if (++examined > BUDGET) {
                    horizon = e.key;
                    break;
                }
                if (!wanted.test(e.value)) {
                    continue;
                }
                if (items.size() >= size) {
                    more = true;
                    break;
                }
                items.add(alert(e.key, e.value, acks));
            }
        }
        ObjectNode out = AvroJson.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("items");
        items.forEach(arr::add);
        out.put("more", more || horizon != null);
        out.put("partial", horizon != null);
        out.put("next", horizon);
        return out;
    }

    /** An alert's incident: its own when it is not a step of a larger one (as the acknowledgement is keyed). */
    static String incidentOf(Alert a) {
        return a.getIncidentId() != null ? a.getIncidentId() : Alerts.ownIncident(a.getAlertId());
    }

    private static ObjectNode alert(String slot, Alert a, ReadOnlyKeyValueStore<String, Acknowledgement> acks) {
        ObjectNode o = AvroJson.MAPPER.createObjectNode();
        o.put("slot", slot);
        o.put("alertId", a.getAlertId());
        o.put("kind", a.getKind().name());
        o.put("severity", a.getSeverity().name());
        o.put("threshold", a.getThreshold());
        o.put("summary", a.getSummary());
        o.put("firedAt", a.getFiredAt().toString());
        o.put("certificateKey", a.getCertificateKey() == null ? null : CertificateKeys.format(a.getCertificateKey()));
        o.put("certificate", a.getLabels().get("certificate"));
        o.put("tenant", a.getTenant());
        o.put("sourceName", a.getSourceName());
        o.put("sourceKind", a.getSourceKind() == null ? null : a.getSourceKind().name().toLowerCase(Locale.ROOT));
        o.put("owner", a.getOwner());
        o.put("incidentId", a.getIncidentId());
        o.put("incidentStep", a.getIncidentStep());
        o.put("escalatedFrom", a.getEscalatedFrom());
        Acknowledgement ack = acks.get(incidentOf(a));
        o.put("acknowledgedBy", ack == null ? null : ack.getAcknowledgedBy());
        o.put("acknowledgedAt", ack == null ? null : ack.getAcknowledgedAt().toString());
        o.put("acknowledgementComment", ack == null ? null : ack.getComment());
        return o;
    }

    /** Each source's latest poll (outcome, counts, error), its consecutive failed polls as streams counts them, and whether SOURCE_DOWN fires. */
    ArrayNode sources(boolean local) {
        ReadOnlyKeyValueStore<String, SourceStatus> polls = q.store(Names.SOURCE_POLL_STORE);
        ReadOnlyKeyValueStore<String, SourceState> states = q.store(Names.SOURCE_STATE_STORE);
        ReadOnlyKeyValueStore<String, Alert> down = q.store(Names.SOURCE_ALERT_STORE);
        List<JsonNode> items = new ArrayList<>();
        try (KeyValueIterator<String, SourceStatus> it = polls.all()) {
            while (it.hasNext()) {
                KeyValue<String, SourceStatus> e = it.next();
                ObjectNode o = AvroJson.of(e.value);
                SourceState st = states.get(e.key);
                o.put("consecutiveFailures", st == null ? e.value.getConsecutiveFailures() : st.consecutiveFailures());
                o.put("failingSince", st == null || st.consecutiveFailures() == 0 ? null : Instant.ofEpochMilli(st.firstFailureAt()).toString());
                o.put("down", down.get(Alerts.slot("SOURCE_DOWN", e.key)) != null);
                items.add(o);
            }
        }
        if (!local) {
            for (JsonNode peer : q.peerAnswers(Names.SOURCE_POLL_STORE, "/v1/sources?")) {
                peer.path("items").forEach(items::add);
            }
        }
        items.sort(Comparator.comparing(n -> n.path("sourceName").asText()));
        ArrayNode a = AvroJson.MAPPER.createArrayNode();
        items.forEach(a::add);
        return a;
    }

    // ---------------------------------------------------------------- helpers

    /** The counters of one or more partitions, summed (each task keeps its own). */
    static final class Counts {
        private final List<ReadOnlyKeyValueStore<Bytes, Long>> parts;

        Counts(List<ReadOnlyKeyValueStore<Bytes, Long>> parts) {
            this.parts = parts;
        }

        long get(Bytes k) {
            long n = 0;
            for (ReadOnlyKeyValueStore<Bytes, Long> p : parts) {
                Long v = p.get(k);
                n += v == null ? 0 : v;
            }
            return n;
        }

        Long max(Bytes k) {
            Long max = null;
            for (ReadOnlyKeyValueStore<Bytes, Long> p : parts) {
                Long v = p.get(k);
                if (v != null && (max == null || v > max)) {
                    max = v; // not a ternary: one mixing Long and long unboxes a null max
                }
            }
            return max;
        }

        /** Keys from {@code lo} (inclusive) to {@code hi} (exclusive), in order, each summed over the partitions. */
        List<KeyValue<Bytes, Long>> range(byte[] lo, byte[] hi) {
            TreeMap<Bytes, Long> m = new TreeMap<>();
            Bytes h = Bytes.wrap(hi);
            for (ReadOnlyKeyValueStore<Bytes, Long> p : parts) {
                try (KeyValueIterator<Bytes, Long> it = p.range(Bytes.wrap(lo), h)) {
                    while (it.hasNext()) {
                        KeyValue<Bytes, Long> e = it.next();
                        if (e.key.compareTo(h) < 0) {
                            m.merge(e.key, e.value, Long::sum);
                        }
                    }
                }
            }
            List<KeyValue<Bytes, Long>> out = new ArrayList<>();
            m.forEach((k, v) -> out.add(KeyValue.pair(k, v)));
            return out;
        }

        List<KeyValue<Bytes, Long>> prefix(byte[] prefix) {
            return range(prefix, upper(prefix));
        }
    }

    private static long value(Counts counts, Bytes key) {
        return counts.get(key);
    }

    /** The smallest key greater than every key starting with {@code prefix} (the prefix itself when it is all 0xFF). */
    static byte[] upper(byte[] prefix) {
        byte[] u = Arrays.copyOf(prefix, prefix.length);
        for (int i = u.length - 1; i >= 0; i--) {
            if (u[i] != (byte) 0xFF) {
                u[i]++;
                return Arrays.copyOf(u, i + 1);
            }
        }
        return FleetIndex.concat(prefix, new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    }

    private static boolean startsWith(byte[] k, byte[] prefix) {
        return k.length >= prefix.length && Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The certificate key at the end of a time-ordered index key ({@code ... 0 time key} or {@code S state time key}). */
    private static String certificateKey(byte[] k) {
        int t = timeStart(k);
        return new String(k, t + 8, k.length - t - 8, StandardCharsets.UTF_8);
    }

    private static long timeOf(byte[] k) {
        int t = timeStart(k);
        return java.nio.ByteBuffer.wrap(k, t, 8).getLong() ^ Long.MIN_VALUE;
    }

    private static int timeStart(byte[] k) {
        if (k[0] == FleetIndex.STATE || k[0] == FleetIndex.RENEWAL) {
            return 2;
        }
        for (int i = 1; i < k.length; i++) {
            if (k[i] == 0) {
                return i + 1;
            }
        }
        throw new IllegalStateException("not a time-ordered index key");
    }

    private static String afterZero(byte[] k) {
        for (int i = 1; i < k.length; i++) {
            if (k[i] == 0) {
                return new String(k, i + 1, k.length - i - 1, StandardCharsets.UTF_8);
            }
        }
        throw new IllegalStateException("not a name index key");
    }

    private static byte[] min(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    private static byte[] max(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /** A tenant or source as it appears in certificate keys (percent-encoded; "-" is no tenant). */
    static String encPart(String value) {
        return CertificateKeys.format(CertificateKeys.of(SourceKind.SMOXY, value, null, "x")).split("/", -1)[1];
    }

    static String encTenant(String value) {
        return "-".equals(value) ? "-" : encPart(value);
    }

    static String decPart(String part) {
        return CertificateKeys.parse("smoxy/" + part + "/-/x").getSourceName();
    }

    static String decTenant(String part) {
        return "-".equals(part) ? "-" : decPart(part);
    }

    static byte[] cursor(String text) {
        try {
            return text == null || text.isBlank() ? null : B64D.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("parameter 'after' is not a cursor this API gave: '" + text + "'");
        }
    }

    private static void mergeSums(ObjectNode into, JsonNode from) {
        from.fields().forEachRemaining(e -> into.put(e.getKey(), into.path(e.getKey()).asLong() + e.getValue().asLong()));
    }

    private static void mergeNamed(ArrayNode into, JsonNode from) {
        Map<String, ObjectNode> byName = new LinkedHashMap<>();
        into.forEach(n -> byName.put(n.path("name").asText(), (ObjectNode) n));
        for (JsonNode n : from) {
            ObjectNode mine = byName.get(n.path("name").asText());
            if (mine == null) {
                into.add(n);
            } else {
                mine.put("count", mine.path("count").asLong() + n.path("count").asLong());
            }
        }
    }

    private static ArrayNode sortedByName(ArrayNode a) {
        List<JsonNode> l = new ArrayList<>();
        a.forEach(l::add);
        l.sort(Comparator.comparing(n -> n.path("name").asText()));
        ArrayNode out = AvroJson.MAPPER.createArrayNode();
        l.forEach(out::add);
        return out;
    }

    private static String later(JsonNode a, JsonNode b) {
        if (!a.isTextual()) {
            return b.isTextual() ? b.asText() : null;
        }
        if (!b.isTextual()) {
            return a.asText();
        }
        return Instant.parse(a.asText()).isAfter(Instant.parse(b.asText())) ? a.asText() : b.asText();
    }

    static String params(String... nameValues) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] != null) {
                b.append(b.length() == 0 ? "" : "&").append(nameValues[i]).append('=')
                        .append(URLEncoder.encode(nameValues[i + 1], StandardCharsets.UTF_8));
            }
        }
        return b.toString();
    }
}
