package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;

import static dev.certflow.streams.Fixtures.START;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's aggregates stay exact while certificates arrive, change, cross their boundaries at
 * ticks, fail and recover, and leave: the counters, the timeline and every page equal what a full
 * recount of the topology's own stores gives.
 */
class FleetIndexTest {
    @AutoClose
    private final Closeables closeables = new Closeables();
    private static final FleetQueries.Info INFO = new FleetQueries.Info("test", List.of(7, 1), true, false, false, false);

    private Harness harness() {
        Harness h = new Harness(new StreamsSettings().withOwners(owners()));
        closeables.add(h);
        return h;
    }

    /** payments owns tenant acme (its PBX too), platform every name under bank.example.com; the rest is unowned. */
    static dev.certflow.runtime.owners.OwnersConfig owners() {
        dev.certflow.runtime.owners.OwnersConfig o = new dev.certflow.runtime.owners.OwnersConfig();
        dev.certflow.runtime.owners.OwnersConfig.Team payments = new dev.certflow.runtime.owners.OwnersConfig.Team();
        payments.name = "payments";
        dev.certflow.runtime.owners.OwnersConfig.Team platform = new dev.certflow.runtime.owners.OwnersConfig.Team();
        platform.name = "platform";
        o.teams = List.of(payments, platform);
        dev.certflow.runtime.owners.OwnersConfig.Rule byTenant = new dev.certflow.runtime.owners.OwnersConfig.Rule();
        byTenant.owner = "payments";
        byTenant.tenants = List.of("acme", "pbx-acme");
        dev.certflow.runtime.owners.OwnersConfig.Rule byName = new dev.certflow.runtime.owners.OwnersConfig.Rule();
        byName.owner = "platform";
        byName.names = List.of("*.bank.example.com");
        o.rules = List.of(byTenant, byName);
        return o;
    }

    /** A random fleet over three kinds, four tenants, some without an expiry, some failing, some superseded. */
    private static List<Certificate> fleet(Random r, int n, Instant now) {
        List<Certificate> out = new ArrayList<>();
        String[] tenants = {"acme", "bank", "shop", "zeta"};
        for (int i = 0; i < n; i++) {
            Instant notAfter = r.nextInt(10) == 0 ? null : now.plus(Duration.ofHours(r.nextInt(24 * 420) - 24 * 30));
            String tenant = tenants[r.nextInt(tenants.length)];
            String domain = "c" + i + "." + tenant + ".example.com";
            Certificate c = switch (r.nextInt(3)) {
                case 0 -> RenewalFixtures.smoxyAuto(tenant, "s" + i, domain, List.of(domain, "www." + domain), notAfter, now);
                case 1 -> RenewalFixtures.yeastarUpload("pbx-" + tenant, "y" + i, domain, notAfter, now);
                default -> RenewalFixtures.leegality(tenant, "l" + i, "Signing " + i, now.minus(Duration.ofDays(30)), notAfter, now);
            };
            if (notAfter == null) {
                c = Certificate.newBuilder(c).setExpiryStatus(ExpiryStatus.UNPARSEABLE).setNotAfterRaw("31/02/2027").build();
            }
            out.add(c);
        }
        return out;
    }

    @Test
    void countsTimelineAndPagesEqualARecountOfTheStoresThroughArrivalsTicksFailuresAndRemovals() {
        Harness h = harness();
        Random r = new Random(13);
        List<Certificate> certs = fleet(r, 240, START);
        certs.forEach(c -> h.certificates.pipeInput(RenewalFixtures.k(c), c));
        // failing streaks on every seventh, one of them recovered later
        for (int i = 0; i < certs.size(); i += 7) {
            CertificateKey key = certs.get(i).getKey();
            h.attempts.pipeInput(CertificateKeys.format(key), Fixtures.attempt(key, "f" + i, AttemptStatus.FAILED, START.minusSeconds(3600), "rate limited"));
        }
        // a replacement that supersedes c2's smoxy twin: same tenant and source, every name, later expiry
        assertExact(h);

        h.advanceHourly(Duration.ofDays(12)); // floors, due and overdue points and expiries are crossed at ticks
        CertificateKey recovered = certs.get(7).getKey();
        h.attempts.pipeInput(CertificateKeys.format(recovered), Fixtures.attempt(recovered, "ok7", AttemptStatus.SUCCEEDED, h.now(), null));
        for (int i = 0; i < 40; i++) {
            Certificate c = certs.get(i * 3);
            if (i % 5 == 1) {
                // a new name under bank.example.com: the certificate changes owner (unless acme's rule comes first)
                Certificate moved = Certificate.newBuilder(c).setSans(List.of("moved" + i + ".bank.example.com")).build();
                h.certificates.pipeInput(RenewalFixtures.k(moved), moved);
            } else if (i % 2 == 0) {
                h.certificates.pipeInput(RenewalFixtures.k(c), (Certificate) null); // removed at the source
            } else if (c.getNotAfter() != null) {
                Certificate renewed = Certificate.newBuilder(c).setNotAfter(c.getNotAfter().plus(Duration.ofDays(90))).build();
                h.certificates.pipeInput(RenewalFixtures.k(renewed), renewed);
            }
        }
        assertExact(h);
        h.advanceHourly(Duration.ofDays(20));
        assertExact(h);
    }

    private void assertExact(Harness h) {
        FleetQueries fleet = new FleetQueries(h.queriesAtDriverTime(), INFO);
        long now = h.now().toEpochMilli();
        List<Recount> all = recount(h, now);

        // counters: fleet and per tenant, every state
        ObjectNode summary = fleet.summary(null, null, null, false);
        assertThat(summary.path("counts").path("total").asLong()).isEqualTo(all.size());
        for (FleetIndex.State s : FleetIndex.State.values()) {
            assertThat(summary.path("counts").path(s.label).asLong()).as(s.label)
                    .isEqualTo(all.stream().filter(x -> (x.states & FleetIndex.bit(s)) != 0).count());
        }
        assertThat(summary.path("counts").path("healthy").asLong()).isLessThan(all.size()); // the fleet has problems to show
        for (String tenant : List.of("acme", "bank")) {
            ObjectNode t = fleet.summary(tenant, null, null, false);
            assertThat(t.path("counts").path("total").asLong()).isEqualTo(all.stream().filter(x -> tenant.equals(x.tenant)).count());
            assertThat(t.path("counts").path("renewal-overdue").asLong()).isEqualTo(all.stream()
                    .filter(x -> tenant.equals(x.tenant) && (x.states & FleetIndex.bit(FleetIndex.State.OVERDUE)) != 0).count());
        }
        long firing = 0;
        try (KeyValueIterator<String, dev.certflow.events.Alert> it = h.driver.<String, dev.certflow.events.Alert>getKeyValueStore(Names.CERTIFICATE_ALERT_STORE).all()) {
            while (it.hasNext()) {
                it.next();
                firing++;
            }
        }
        assertThat(summary.path("firingAlerts").asLong()).isEqualTo(firing);
        // owners: per owner, the unowned, and what the rules say of each tenant
        assertThat(summary.path("counts").path("unowned").asLong()).isEqualTo(all.stream().filter(x -> x.owner == null).count()).isPositive();
        long owned = 0;
        for (JsonNode o : summary.path("owners")) {
            String name = o.path("name").asText();
            assertThat(o.path("count").asLong()).as(name).isEqualTo(all.stream().filter(x -> name.equals(x.owner)).count()).isPositive();
            assertThat(fleet.summary(null, null, name, false).path("counts").path("renewal-overdue").asLong()).isEqualTo(all.stream()
                    .filter(x -> name.equals(x.owner) && (x.states & FleetIndex.bit(FleetIndex.State.OVERDUE)) != 0).count());
            owned += o.path("count").asLong();
        }
        assertThat(summary.path("owners").findValuesAsText("name")).containsExactly("payments", "platform");
        assertThat(owned + summary.path("counts").path("unowned").asLong()).isEqualTo(all.size());
        assertThat(fleet.summary(null, null, "-", false).path("counts").path("total").asLong()).isEqualTo(summary.path("counts").path("unowned").asLong());
        assertThat(all.stream().filter(x -> "acme".equals(x.tenant) || "pbx-acme".equals(x.tenant)))
                .isNotEmpty().allSatisfy(x -> assertThat(x.owner).isEqualTo("payments"));
        assertThat(all.stream().filter(x -> "zeta".equals(x.tenant) || "pbx-zeta".equals(x.tenant)))
                .filteredOn(x -> x.owner != null).allSatisfy(x -> assertThat(x.owner).isEqualTo("platform"));

        // the timeline: every certificate once, before, inside (by day) or after the window, or without an expiry
        ObjectNode timeline = fleet.timeline(90, 7, "tenant", false);
        long inBins = 0;
        for (JsonNode b : timeline.path("bins")) {
            long stacked = 0;
            for (JsonNode v : b.path("stacks")) {
                stacked += v.asLong();
            }
            assertThat(stacked).isEqualTo(b.path("total").asLong());
            long from = Instant.parse(b.path("start").asText()).toEpochMilli();
            long to = Instant.parse(b.path("end").asText()).toEpochMilli();
            assertThat(b.path("total").asLong()).isEqualTo(all.stream().filter(x -> x.notAfter != null && x.notAfter >= from && x.notAfter < to).count());
            inBins += b.path("total").asLong();
        }
        assertThat(inBins + timeline.path("before").asLong() + timeline.path("after").asLong() + timeline.path("unknown").asLong()).isEqualTo(all.size());
        // stacked by owner: each owner's bins hold its certificates ("-": the unowned)
        ObjectNode ownerTimeline = fleet.timeline(365, 7, "owner", false);
        for (JsonNode b : ownerTimeline.path("bins")) {
            long from = Instant.parse(b.path("start").asText()).toEpochMilli();
            long to = Instant.parse(b.path("end").asText()).toEpochMilli();
            for (String o : List.of("payments", "platform", "-")) {
                assertThat(b.path("stacks").path(o).asLong()).as(o + " " + b.path("start").asText()).isEqualTo(all.stream()
                        .filter(x -> o.equals(x.owner == null ? "-" : x.owner) && x.notAfter != null && x.notAfter >= from && x.notAfter < to).count());
            }
        }

        // pages, in every order the index serves, filtered and not, equal the recount sorted the same way
        Comparator<Recount> byExpiry = Comparator.comparing((Recount x) -> x.notAfter == null ? Long.MAX_VALUE : x.notAfter).thenComparing(x -> x.key);
        assertPages(fleet, page(null, null, null, "expiry", false), all, x -> true, byExpiry);
        assertPages(fleet, page(null, null, null, "expiry", true), all, x -> true, byExpiry.reversed());
        assertPages(fleet, page(FleetIndex.State.OVERDUE, null, null, "expiry", false), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.OVERDUE)) != 0, byExpiry);
        assertPages(fleet, page(FleetIndex.State.HEALTHY, "bank", null, "expiry", false), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.HEALTHY)) != 0 && "bank".equals(x.tenant), byExpiry);
        assertPages(fleet, page(null, "acme", "smoxy-eu", "expiry", true), all,
                x -> "acme".equals(x.tenant) && "smoxy-eu".equals(x.source), byExpiry.reversed());
        Comparator<Recount> byName = Comparator.comparing((Recount x) -> x.display).thenComparing(byExpiry);
        assertPages(fleet, page(null, null, null, "name", false), all, x -> true, byName);
        assertPages(fleet, page(FleetIndex.State.FAILING, null, null, "name", true), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.FAILING)) != 0, byName.reversed());
        Comparator<Recount> byTenant = Comparator.comparing((Recount x) -> x.tenant == null ? "-" : x.tenant).thenComparing(byExpiry);
        assertPages(fleet, page(null, null, null, "tenant", false), all, x -> true, byTenant);
        assertPages(fleet, page(null, "shop", null, "tenant", false), all, x -> "shop".equals(x.tenant), byTenant);
        Comparator<Recount> bySource = Comparator.comparing((Recount x) -> x.source).thenComparing(byExpiry);
        assertPages(fleet, page(FleetIndex.State.UNKNOWN, null, null, "source", false), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.UNKNOWN)) != 0, bySource);
        // by owner: the owner's index in expiry order, the unowned, sorted by owner, an owner with other filters
        assertPages(fleet, owned(null, "payments", "expiry", false), all, x -> "payments".equals(x.owner), byExpiry);
        assertPages(fleet, owned(null, "-", "expiry", true), all, x -> x.owner == null, byExpiry.reversed());
        Comparator<Recount> byOwner = Comparator.comparing((Recount x) -> x.owner == null ? "-" : x.owner).thenComparing(byExpiry);
        assertPages(fleet, owned(null, null, "owner", false), all, x -> true, byOwner);
        assertPages(fleet, owned(null, null, "owner", true), all, x -> true, byOwner.reversed());
        assertPages(fleet, owned(null, "platform", "owner", false), all, x -> "platform".equals(x.owner), byOwner);
        assertPages(fleet, owned(FleetIndex.State.HEALTHY, "platform", "name", false), all,
                x -> "platform".equals(x.owner) && (x.states & FleetIndex.bit(FleetIndex.State.HEALTHY)) != 0, byName);
        assertPages(fleet, owned(FleetIndex.State.EXPIRED, "-", "owner", false), all,
                x -> x.owner == null && (x.states & FleetIndex.bit(FleetIndex.State.EXPIRED)) != 0, byOwner);
        // a week of expiries (what hovering a timeline bar asks), one tenant
        long from = now + 14 * ExpiryRules.DAY;
        long before = from + 7 * ExpiryRules.DAY;
        assertPages(fleet, new FleetQueries.Page(null, null, "zeta", null, null, null, null, from, before, "expiry", false, null, 3), all,
                x -> "zeta".equals(x.tenant) && x.notAfter != null && x.notAfter >= from && x.notAfter < before, byExpiry);
        assertPages(fleet, new FleetQueries.Page(null, RenewalStatus.SCHEDULED, null, null, null, "yeastar", null, null, null, "expiry", false, null, 4), all,
                x -> "SCHEDULED".equals(x.renewal) && x.key.startsWith("yeastar/"), byExpiry);
        // the renewal state's own index, alone (an exact count) and with other filters in every order
        for (RenewalStatus r : RenewalStatus.values()) {
            assertPages(fleet, new FleetQueries.Page(null, r, null, null, null, null, null, null, null, "expiry", r.ordinal() % 2 == 0, null, 5), all,
                    x -> r.name().equals(x.renewal), r.ordinal() % 2 == 0 ? byExpiry.reversed() : byExpiry);
        }
        assertThat(all.stream().filter(x -> "SCHEDULED".equals(x.renewal) && x.key.startsWith("smoxy/"))).isNotEmpty();
        assertPages(fleet, new FleetQueries.Page(null, RenewalStatus.SCHEDULED, null, null, null, "smoxy", null, null, null, "name", false, null, 6), all,
                x -> "SCHEDULED".equals(x.renewal) && x.key.startsWith("smoxy/"), byName);
        assertPages(fleet, new FleetQueries.Page(null, RenewalStatus.UNKNOWN, "bank", null, null, null, null, null, null, "tenant", true, null, 3), all,
                x -> "UNKNOWN".equals(x.renewal) && "bank".equals(x.tenant), byTenant.reversed());
        // two and three index filters: the others are looked up in the index, not read from the summaries
        assertPages(fleet, new FleetQueries.Page(FleetIndex.State.OVERDUE, null, "acme", null, null, null, null, null, null, "name", false, null, 4), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.OVERDUE)) != 0 && "acme".equals(x.tenant), byName);
        assertPages(fleet, new FleetQueries.Page(FleetIndex.State.HEALTHY, RenewalStatus.SCHEDULED, null, null, "payments", null, null, null, null, "expiry", false, null, 4), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.HEALTHY)) != 0 && "SCHEDULED".equals(x.renewal) && "payments".equals(x.owner), byExpiry);
        assertPages(fleet, new FleetQueries.Page(FleetIndex.State.EXPIRED, null, null, null, "-", null, null, null, null, "source", true, null, 2), all,
                x -> (x.states & FleetIndex.bit(FleetIndex.State.EXPIRED)) != 0 && x.owner == null, bySource.reversed());
    }

    @Test
    void anIndexOfTheEarlierLayoutIsBroughtUpToThisOneOnceAndExactly() {
        long now = START.toEpochMilli();
        List<Certificate> certs = fleet(new Random(29), 80, START);
        Random r = new Random(31);
        List<RenewalStatus> renewals = certs.stream().map(c -> RenewalStatus.values()[r.nextInt(RenewalStatus.values().length)]).toList();
        MockProcessorContext<Object, Object> reference = indexContext();
        MockProcessorContext<Object, Object> upgraded = indexContext();
        FleetIndex ref = new FleetIndex(reference, owners().rules());
        FleetIndex before = new FleetIndex(upgraded, owners().rules());
        for (int i = 0; i < certs.size(); i++) {
            Certificate c = certs.get(i);
            ref.update(RenewalFixtures.k(c), c, null, renewals.get(i), i % 9 == 0, now);
            before.update(RenewalFixtures.k(c), c, null, renewals.get(i), i % 9 == 0, now);
        }
        // a task's first certificate marks a new index as this layout: nothing to upgrade
        assertThat(before.upgrade()).isZero();
        assertThat(contents(upgraded)).isEqualTo(contents(reference));

        // what layout 1 wrote: no renewal keys, counters or layout mark
        KeyValueStore<Bytes, byte[]> index = upgraded.getStateStore(Names.FLEET_INDEX_STORE);
        KeyValueStore<Bytes, Long> counts = upgraded.getStateStore(Names.FLEET_COUNTS_STORE);
        List<Bytes> renewalKeys = new ArrayList<>();
        index.all().forEachRemaining(kv -> {
            if (kv.key.get()[0] == FleetIndex.RENEWAL) {
                renewalKeys.add(kv.key);
            }
        });
        assertThat(renewalKeys).hasSize(certs.size());
        renewalKeys.forEach(index::delete);
        for (RenewalStatus s : RenewalStatus.values()) {
            counts.delete(FleetIndex.counter(new byte[]{FleetIndex.SCOPE_RENEWAL, (byte) s.ordinal()}, FleetIndex.ALL));
        }
        counts.delete(Bytes.wrap(new byte[]{FleetIndex.VERSION}));
        assertThat(contents(upgraded)).isNotEqualTo(contents(reference));

        // restarted: a certificate changes before the first tick, then the tick upgrades
        FleetIndex after = new FleetIndex(upgraded, owners().rules());
        Certificate changed = Certificate.newBuilder(certs.get(4)).setNotAfter(START.plus(Duration.ofDays(200))).build();
        after.update(RenewalFixtures.k(changed), changed, null, RenewalStatus.DUE, false, now);
        ref.update(RenewalFixtures.k(changed), changed, null, RenewalStatus.DUE, false, now);
        assertThat(after.upgrade()).isEqualTo(certs.size());
        assertThat(contents(upgraded)).isEqualTo(contents(reference));
        assertThat(after.upgrade()).isZero();
        assertThat(new FleetIndex(upgraded, owners().rules()).upgrade()).isZero();
        assertThat(contents(upgraded)).isEqualTo(contents(reference));
    }

    @Test
    void anIndexLostOrBehindItsSummariesIsRebuiltAndACurrentOneIsLeftAlone() {
        long now = START.toEpochMilli();
        List<Certificate> certs = fleet(new Random(37), 60, START);
        MockProcessorContext<Object, Object> ctx = indexContext();
        FleetIndex fleet = new FleetIndex(ctx, owners().rules());
        for (int i = 0; i < certs.size(); i++) {
            fleet.update(RenewalFixtures.k(certs.get(i)), certs.get(i), null, RenewalStatus.values()[i % 4], i % 7 == 0, now);
        }
        KeyValueStore<Bytes, byte[]> index = ctx.getStateStore(Names.FLEET_INDEX_STORE);
        Map<String, Long> indexed = contents(ctx);
        assertThat(indexed.keySet()).filteredOn(k -> k.startsWith("index ")).hasSizeGreaterThan(certs.size() * 8);

        // current: another processor of the task (or a restart on the same disk) leaves it as it is
        Bytes planted = Bytes.wrap(new byte[]{FleetIndex.STATE, 0, 42});
        index.put(planted, new byte[0]);
        assertThat(new FleetIndex(ctx, owners().rules()).rebuildIfStale()).isZero();
        assertThat(index.get(planted)).as("not rebuilt").isNotNull();
        index.delete(planted);

        // lost: a new instance or a wiped state directory has the summaries back from their changelog, and no index
        List<Bytes> all = new ArrayList<>();
        index.all().forEachRemaining(kv -> all.add(kv.key));
        all.forEach(index::delete);
        new FleetIndex(ctx, owners().rules());
        assertThat(contents(ctx)).isEqualTo(indexed);

        // behind: the task ran on another instance, whose changes this disk's index never saw
        Map<Bytes, byte[]> before = new HashMap<>();
        index.all().forEachRemaining(kv -> before.put(kv.key, kv.value));
        for (int i = 0; i < 5; i++) {
            Certificate moved = Certificate.newBuilder(certs.get(i)).setNotAfter(START.plus(Duration.ofDays(300 + i))).build();
            fleet.update(RenewalFixtures.k(moved), moved, null, RenewalStatus.RENEWED, false, now);
        }
        fleet.update(RenewalFixtures.k(certs.get(9)), null, null, null, false, now);
        Map<String, Long> moved = contents(ctx);
        assertThat(moved).isNotEqualTo(indexed);
        all.clear();
        index.all().forEachRemaining(kv -> all.add(kv.key));
        all.forEach(index::delete);
        before.forEach(index::put);
        assertThat(new FleetIndex(ctx, owners().rules()).rebuildIfStale()).as("already rebuilt by the constructor").isZero();
        assertThat(contents(ctx)).isEqualTo(moved);
    }

    private static MockProcessorContext<Object, Object> indexContext() {
        MockProcessorContext<Object, Object> ctx = new MockProcessorContext<>();
        List<org.apache.kafka.streams.processor.StateStore> stores = List.of(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.FLEET_SUMMARY_STORE), Serdes.String(), new JsonSerde<>(FleetIndex.Entry.class))
                        .withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.FLEET_INDEX_STORE), Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.FLEET_COUNTS_STORE), Serdes.Bytes(), Serdes.Long()).withLoggingDisabled().build());
        for (org.apache.kafka.streams.processor.StateStore s : stores) {
            s.init(ctx.getStateStoreContext(), s);
            ctx.addStateStore(s);
        }
        return ctx;
    }

    /** Every key of the index and counters, with the counters' values. */
    private static Map<String, Long> contents(MockProcessorContext<Object, Object> ctx) {
        Map<String, Long> out = new TreeMap<>();
        KeyValueStore<Bytes, byte[]> index = ctx.getStateStore(Names.FLEET_INDEX_STORE);
        KeyValueStore<Bytes, Long> counts = ctx.getStateStore(Names.FLEET_COUNTS_STORE);
        index.all().forEachRemaining(kv -> out.put("index " + kv.key, 1L));
        counts.all().forEachRemaining(kv -> out.put("count " + kv.key, kv.value));
        out.remove("count " + Bytes.wrap(new byte[]{FleetIndex.UPDATED}));
        return out;
    }

    private static FleetQueries.Page page(FleetIndex.State state, String tenant, String source, String sort, boolean desc) {
        return new FleetQueries.Page(state, null, tenant, source, null, null, null, null, null, sort, desc, null, 7);
    }

    private static FleetQueries.Page owned(FleetIndex.State state, String owner, String sort, boolean desc) {
        return new FleetQueries.Page(state, null, null, null, owner, null, null, null, null, sort, desc, null, 7);
    }

    /** Pages through with the API's cursors and compares with the recount's order. */
    private static void assertPages(FleetQueries fleet, FleetQueries.Page first, List<Recount> all, Predicate<Recount> filter, Comparator<Recount> order) {
        List<String> expected = all.stream().filter(filter).sorted(order).map(x -> x.key).toList();
        List<String> got = new ArrayList<>();
        byte[] after = null;
        for (int guard = 0; guard < 1000; guard++) {
            FleetQueries.Page p = new FleetQueries.Page(first.state(), first.renewal(), first.tenant(), first.source(), first.owner(), first.kind(), first.search(),
                    first.expiresFrom(), first.expiresBefore(), first.sort(), first.desc(), after, first.size());
            ObjectNode answer = fleet.certificates(p, false);
            answer.path("items").forEach(n -> got.add(n.path("key").asText()));
            if (!answer.path("count").isNull()) {
                assertThat(answer.path("count").asLong()).as(first.toString()).isEqualTo(expected.size());
            }
            if (answer.path("next").isNull()) {
                break;
            }
            assertThat(answer.path("items").size()).isEqualTo(first.size());
            after = FleetQueries.cursor(answer.path("next").asText());
        }
        assertThat(got).as(first.query()).isEqualTo(expected);
    }

    /** One certificate as the topology's own stores say it is now. */
    private record Recount(String key, String tenant, String source, Long notAfter, int states, String renewal, String display, String owner) {
    }

    /** The owner by the rules of {@link #owners()}, written out: acme's tenants first, then names under bank.example.com. */
    private static String owner(Certificate c) {
        String t = c.getKey().getTenant();
        if ("acme".equals(t) || "pbx-acme".equals(t)) {
            return "payments";
        }
        List<String> names = new ArrayList<>(c.getSans());
        names.add(c.getCommonName());
        names.add(c.getName());
        return names.stream().anyMatch(n -> n != null && n.toLowerCase(Locale.ROOT).endsWith(".bank.example.com")) ? "platform" : null;
    }

    private static List<Recount> recount(Harness h, long now) {
        KeyValueStore<String, Certificate> certificates = h.driver.getKeyValueStore(Names.CERTIFICATE_STORE);
        KeyValueStore<String, ExpiringCertificate> expiring = h.driver.getKeyValueStore(Names.EXPIRING_STORE);
        KeyValueStore<String, Object> failed = h.driver.getKeyValueStore(Names.FAILED_STORE);
        KeyValueStore<String, Generation> generations = h.driver.getKeyValueStore(Names.GENERATION_STORE);
        KeyValueStore<String, dev.certflow.events.CertificateNameMatch> matches = h.driver.getKeyValueStore(Names.MATCH_STORE);
        RenewalPolicy policy = new RenewalPolicy(h.settings.renewal);
        List<Recount> out = new ArrayList<>();
        try (KeyValueIterator<String, Certificate> it = certificates.all()) {
            while (it.hasNext()) {
                KeyValue<String, Certificate> e = it.next();
                Certificate c = e.value;
                boolean known = ExpiryRules.hasKnownExpiry(c);
                ExpiringCertificate row = expiring.get(e.key);
                String bucket = row == null || row.getBucket().startsWith("renewal-") ? null : row.getBucket();
                RenewalStatus status = known ? policy.assess(c, generations.get(e.key), matches.get(e.key), now).status() : RenewalStatus.UNKNOWN;
                int states = FleetIndex.states(known, bucket, status, failed.get(e.key) != null);
                out.add(new Recount(e.key, c.getKey().getTenant(), c.getKey().getSourceName(), known ? c.getNotAfter().toEpochMilli() : null, states,
                        status.name(), Alerts.displayName(c, c.getKey()).toLowerCase(Locale.ROOT), owner(c)));
            }
        }
        return out;
    }

    @Test
    void aSearchFindsCertificatesByNamePrefixByDomainAndByKeyPrefix() {
        Harness h = harness();
        Certificate shop = RenewalFixtures.smoxyAuto("acme", "1", "shop.example.com", List.of("shop.example.com", "pay.shop.example.com"),
                START.plus(Duration.ofDays(40)), START);
        Certificate wild = RenewalFixtures.smoxyAuto("acme", "2", "*.example.com", List.of("*.example.com"), START.plus(Duration.ofDays(50)), START);
        Certificate other = RenewalFixtures.smoxyAuto("bank", "3", "shop.example.org", List.of(), START.plus(Duration.ofDays(60)), START);
        Certificate signing = RenewalFixtures.leegality("dept-9", "4", "Board Signing Key", START.minus(Duration.ofDays(10)), START.plus(Duration.ofDays(300)), START);
        for (Certificate c : List.of(shop, wild, other, signing)) {
            h.certificates.pipeInput(RenewalFixtures.k(c), c);
        }
        FleetQueries fleet = new FleetQueries(h.queriesAtDriverTime(), INFO);
        assertThat(search(fleet, "pay.shop.example.com")).containsExactly(RenewalFixtures.k(shop));        // a SAN, exactly
        assertThat(search(fleet, "SHOP.")).containsExactly(RenewalFixtures.k(shop), RenewalFixtures.k(other)); // names starting with it, any case
        assertThat(search(fleet, "example.com")).containsExactly(RenewalFixtures.k(shop), RenewalFixtures.k(wild)); // names under the domain
        assertThat(search(fleet, "ample.com")).isEmpty();                                                  // not a label boundary
        assertThat(search(fleet, "board sign")).containsExactly(RenewalFixtures.k(signing));               // the source's name
        assertThat(search(fleet, "smoxy/smoxy-eu/bank/")).containsExactly(RenewalFixtures.k(other));       // a key prefix
        ObjectNode page = fleet.certificates(new FleetQueries.Page(null, null, "acme", null, null, null, "example.com", null, null, "expiry", false, null, 50), false);
        assertThat(page.path("count").asInt()).isEqualTo(2);
        assertThat(page.path("items").get(0).path("sans").toString()).contains("pay.shop.example.com");
    }

    private static List<String> search(FleetQueries fleet, String q) {
        List<String> keys = new ArrayList<>();
        fleet.certificates(new FleetQueries.Page(null, null, null, null, null, null, q, null, null, "expiry", false, null, 50), false)
                .path("items").forEach(n -> keys.add(n.path("key").asText()));
        return keys;
    }

    @Test
    void theHistoryKeepsTheLastFiftyAttemptsAndAlertsOfACertificateAndGoesWithIt() {
        Harness h = harness();
        Certificate c = RenewalFixtures.yeastarUpload("pbx-1", "9", "pbx.example.com", START.plus(Duration.ofDays(3)), START);
        String key = RenewalFixtures.k(c);
        h.certificates.pipeInput(key, c);
        for (int i = 0; i < 60; i++) {
            h.attempts.pipeInput(key, Fixtures.attempt(c.getKey(), "a" + i, AttemptStatus.FAILED, START.plusSeconds(60L * i), "boom " + i));
        }
        // redelivered: no second entry
        h.attempts.pipeInput(key, Fixtures.attempt(c.getKey(), "a59", AttemptStatus.FAILED, START.plusSeconds(60L * 59), "boom 59"));
        JsonNode one = h.queriesAtDriverTime().certificate(key, true);
        JsonNode history = one.path("history");
        assertThat(history.size()).isEqualTo(CertificateHistory.MAX_EVENTS);
        assertThat(history.get(0).path("id").asText()).isEqualTo("a59"); // newest first
        assertThat(history.get(0).path("code").asText()).isEqualTo("E_boom 59");
        List<String> ids = new ArrayList<>();
        history.forEach(e -> ids.add(e.path("id").asText()));
        assertThat(ids).doesNotContain("a0", "a9").contains("a10"); // the oldest went; attempts, not the alerts, fill it
        assertThat(ids.stream().filter("a59"::equals).count()).isEqualTo(1);
        assertThat(one.path("states").toString()).contains("renewal-failing", "expiring");

        Certificate fresh = RenewalFixtures.yeastarUpload("pbx-1", "10", "other.example.com", START.plus(Duration.ofDays(3)), START);
        h.certificates.pipeInput(RenewalFixtures.k(fresh), fresh);
        JsonNode events = h.queriesAtDriverTime().certificate(RenewalFixtures.k(fresh), true).path("history");
        List<String> kinds = new ArrayList<>();
        events.forEach(e -> kinds.add(e.path("type").asText() + ":" + e.path("kind").asText() + ":" + e.path("status").asText()));
        assertThat(kinds).contains("alert:EXPIRING:FIRING", "alert:RENEWAL_OVERDUE:FIRING", "expiry:null:first-seen");

        h.certificates.pipeInput(key, (Certificate) null);
        assertThat(h.driver.getKeyValueStore(Names.HISTORY_STORE).get(key)).isNull();
        assertThat(h.driver.getKeyValueStore(Names.FLEET_SUMMARY_STORE).get(key)).isNull();
    }

    @Test
    void sourcesShowTheirLatestPollAndWhetherTheyAreDown() {
        Harness h = harness();
        h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START, PollOutcome.SUCCESS));
        for (int i = 1; i <= 3; i++) {
            h.sourceStatus.pipeInput("pbx-paris", Fixtures.poll("pbx-paris", START.plusSeconds(60L * i), PollOutcome.FAILED));
        }
        FleetQueries fleet = new FleetQueries(h.queriesAtDriverTime(), INFO);
        Map<String, JsonNode> bySource = new HashMap<>();
        fleet.sources(false).forEach(n -> bySource.put(n.path("sourceName").asText(), n));
        assertThat(bySource.get("pbx-berlin").path("outcome").asText()).isEqualTo("SUCCESS");
        assertThat(bySource.get("pbx-berlin").path("down").asBoolean()).isFalse();
        assertThat(bySource.get("pbx-paris").path("consecutiveFailures").asInt()).isEqualTo(3);
        assertThat(bySource.get("pbx-paris").path("errorKind").asText()).isEqualTo("timeout");
        assertThat(bySource.get("pbx-paris").path("down").asBoolean()).isTrue();
        JsonNode alerts = fleet.alerts(null, null, null, 10, false).path("items");
        assertThat(alerts.get(0).path("kind").asText()).isEqualTo("SOURCE_DOWN");
        assertThat(fleet.summary(null, null, null, false).path("alerts").path("SOURCE_DOWN").asInt()).isEqualTo(1);
    }

    @Test
    void firingAlertsArePagedWithCursorsAndFilteredByKind() {
        Harness h = harness();
        for (int i = 0; i < 9; i++) {
            CertificateKey key = CertificateKeys.of(SourceKind.SMOXY, "smoxy-eu", "acme", "e" + i);
            h.certificates.pipeInput(CertificateKeys.format(key), Fixtures.cert(key, START.plus(Duration.ofDays(i % 3 == 0 ? -1 : 3))));
        }
        FleetQueries fleet = new FleetQueries(h.queriesAtDriverTime(), INFO);
        TreeMap<String, String> seen = new TreeMap<>();
        String after = null;
        do {
            ObjectNode page = fleet.alerts("EXPIRED", null, after, 2, false);
            page.path("items").forEach(n -> {
                assertThat(n.path("kind").asText()).isEqualTo("EXPIRED");
                seen.put(n.path("alertId").asText(), n.path("certificateKey").asText());
            });
            after = page.path("next").isNull() ? null : page.path("next").asText();
        } while (after != null);
        assertThat(seen).hasSize(3);
        assertThat(fleet.summary(null, null, null, false).path("alerts").path("EXPIRED").asInt()).isEqualTo(3);
    }
}
