package dev.certflow.streams;

import dev.certflow.events.AlertKind;
import dev.certflow.events.Certificate;
import dev.certflow.events.RenewalStatus;
import dev.certflow.runtime.owners.OwnerRules;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The dashboard's aggregates of one task, kept exact by the processors as each certificate changes,
 * so the query API answers counts, the timeline, filtered pages and searches without scanning the
 * inventory (a full scan of 1,000,000 certificates takes seconds).
 *
 * <ul>
 *   <li>{@link Names#FLEET_SUMMARY_STORE}: per certificate, what its index entries and counters were
 *       derived from ({@link Entry}), so a change removes exactly the old ones;</li>
 *   <li>{@link Names#FLEET_INDEX_STORE} (no changelog: rebuilt from the summaries, {@link #rebuildIfStale}): ordered keys, no values: {@code 'S' state time key} (each
 *       state a certificate is in, expiry order), {@code 'T' tenant 0 time key}, {@code 'O' source 0
 *       time key}, {@code 'W' owner 0 time key}, {@code 'D' display-name 0 time key},
 *       {@code 'N' renewal-state time key} (the renewal state's {@link #renewalCode}), and for search
 *       {@code 'P' name 0 key} (names by prefix) and {@code 'R' reversed-labels 0 key} (names under a domain);</li>
 *   <li>{@link Names#FLEET_COUNTS_STORE}: counters ({@code 'C' scope 0 state}: per state for the
 *       fleet, a tenant, a source, an owner; {@code 'C' 'r' renewal-code 0 ALL}: per renewal state), the expiry histogram ({@code 'H' dimension day value}:
 *       per UTC day of notAfter, for the fleet, per tenant, per source, per owner), firing alerts per
 *       kind ({@code 'A' kind}), the time of the last change ({@code 'U'}), the number of entry changes ({@code 'G'}) and the index layout ({@code 'V'}, see {@link #upgrade}).</li>
 * </ul>
 * Times are {@link TimeIndex} encodings; tenant and source are their percent-encoded parts of the
 * certificate key (never a 0 byte); the owner is the owners rules' answer at the certificate's last
 * evaluation, {@link #UNOWNED} for none (team names start with a letter or digit, so never "-");
 * a certificate without a usable expiry has time {@link Long#MAX_VALUE}.
 */
final class FleetIndex {
    /** The states the overview counts; a certificate is in one or more. Codes are stored: never reorder. */
    enum State {
        HEALTHY("healthy"), DUE("renewal-due"), OVERDUE("renewal-overdue"), FAILING("renewal-failing"),
        FLOOR("expiring"), EXPIRED("expired"), UNKNOWN("expiry-unknown"), RENEWED("renewed");

        final String label;

        State(String label) {
            this.label = label;
        }

        byte code() {
            return (byte) ordinal();
        }

        static State ofLabel(String label) {
            for (State s : values()) {
                if (s.label.equals(label)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** The counter code for "every certificate in the scope". */
    static final byte ALL = 127;
    static final byte STATE = 'S';
    static final byte TENANT = 'T';
    static final byte SOURCE = 'O';
    static final byte OWNER = 'W';
    static final byte DISPLAY = 'D';
    static final byte NAME = 'P';
    static final byte DOMAIN = 'R';
    static final byte RENEWAL = 'N';
    static final byte COUNT = 'C';
    static final byte HISTOGRAM = 'H';
    static final byte ALERTS = 'A';
    static final byte UPDATED = 'U';
    static final byte SCOPE_FLEET = '*';
    static final byte SCOPE_TENANT = 't';
    static final byte SCOPE_SOURCE = 's';
    static final byte SCOPE_OWNER = 'w';
    static final byte SCOPE_RENEWAL = 'r';
    static final byte VERSION = 'V';
    /** In the counters: how many entry changes the task has made; in the index, under {@link #INDEX_SEQUENCE}, how many it reflects. */
    static final byte SEQUENCE = 'G';
    static final Bytes COUNTS_SEQUENCE = Bytes.wrap(new byte[]{SEQUENCE});
    /** Before every index key (they start with a letter), so no query's range reaches it. */
    static final Bytes INDEX_SEQUENCE = Bytes.wrap(new byte[]{0, SEQUENCE});
    private static final int REBUILD_BATCH = 10_000;
    /** The index layout these keys follow; a store written by an earlier one is brought up to it by {@link #upgrade}. */
    static final long LAYOUT = 2;
    /** The owner part of the unowned (no rule matched), as {@code owner=-} asks for them. */
    static final String UNOWNED = "-";

    /**
     * What a certificate's entries were derived from.
     *
     * @param states  bit set of {@link State} ordinals
     * @param notAfter expiry (epoch ms), null when unknown
     * @param renewal the renewal state at the last evaluation
     * @param display the lower-cased display name (sort order)
     * @param names   its names for search (normalised)
     * @param owner   its owner under the owners rules, null when unowned
     */
    record Entry(int states, Long notAfter, String renewal, String display, List<String> names, String owner) {
        boolean in(State s) {
            return (states & (1 << s.ordinal())) != 0;
        }

        /** The owner as the index keys hold it. */
        String ownerPart() {
            return owner == null ? UNOWNED : owner;
        }
    }

    private final KeyValueStore<String, Entry> summary;
    private final KeyValueStore<Bytes, byte[]> index;
    private final KeyValueStore<Bytes, Long> counts;
    private static final Logger LOG = LoggerFactory.getLogger(FleetIndex.class);
    private final OwnerRules owners;
    private final String task;
    private boolean layoutKnown;

    FleetIndex(ProcessorContext<?, ?> ctx, OwnerRules owners) {
        this.owners = owners;
        this.task = String.valueOf(ctx.taskId());
        summary = ctx.getStateStore(Names.FLEET_SUMMARY_STORE);
        index = ctx.getStateStore(Names.FLEET_INDEX_STORE);
        counts = ctx.getStateStore(Names.FLEET_COUNTS_STORE);
        rebuildIfStale();
    }

    /**
     * The index store has no changelog (it would be 9 to 11 records for every new certificate): it is
     * derived from the summaries, which have one. It is kept on local disk only, so after a restore
     * from the changelogs it may be empty (a new instance, a wiped state directory) or behind (the task
     * ran elsewhere in between). Under exactly-once an aborted transaction wipes the task's stores, so
     * an index whose sequence equals the committed one is exactly the summaries' index; any other is
     * cleared and rebuilt from them. Returns the certificates indexed (0: the index was current).
     */
    long rebuildIfStale() {
        Long committed = counts.get(COUNTS_SEQUENCE);
        byte[] reflected = index.get(INDEX_SEQUENCE);
        long sequence = committed == null ? 0 : committed;
        if (reflected != null && ByteBuffer.wrap(reflected).getLong() == sequence) {
            return 0;
        }
        long started = System.nanoTime();
        List<KeyValue<Bytes, byte[]>> batch = new ArrayList<>(REBUILD_BATCH);
        try (var it = index.all()) {
            while (it.hasNext()) {
                batch.add(KeyValue.pair(it.next().key, null)); // a null value deletes
                if (batch.size() == REBUILD_BATCH) {
                    index.putAll(batch);
                    batch.clear();
                }
            }
        }
        index.putAll(batch);
        batch.clear();
        long n = 0;
        try (var it = summary.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                for (Bytes k : indexKeys(kv.key, kv.value)) {
                    batch.add(KeyValue.pair(k, EMPTY));
                }
                if (batch.size() >= REBUILD_BATCH) {
                    index.putAll(batch);
                    batch.clear();
                }
                n++;
            }
        }
        index.putAll(batch);
        index.put(INDEX_SEQUENCE, sequenceBytes(sequence));
        if (n > 0) {
            LOG.info("Task {}: dashboard index rebuilt from {} certificate summaries in {} ms", task, n, (System.nanoTime() - started) / 1_000_000);
        }
        return n;
    }

    private static byte[] sequenceBytes(long sequence) {
        return ByteBuffer.allocate(Long.BYTES).putLong(sequence).array();
    }

    /** The states of a certificate evaluated with this expiry bucket label (null: none), renewal state and failing streak. */
    static int states(boolean knownExpiry, String bucket, RenewalStatus renewal, boolean failing) {
        int s = 0;
        if (!knownExpiry) {
            s |= bit(State.UNKNOWN);
        }
        if (ExpiryRules.EXPIRED.equals(bucket)) {
            s |= bit(State.EXPIRED);
        } else if (bucket != null) {
            s |= bit(State.FLOOR);
        }
        if (renewal == RenewalStatus.DUE) {
            s |= bit(State.DUE);
        } else if (renewal == RenewalStatus.OVERDUE) {
            s |= bit(State.OVERDUE);
        } else if (renewal == RenewalStatus.RENEWED) {
            s |= bit(State.RENEWED);
        }
        if (failing) {
            s |= bit(State.FAILING);
        }
        int problems = bit(State.UNKNOWN) | bit(State.EXPIRED) | bit(State.FLOOR) | bit(State.DUE) | bit(State.OVERDUE) | bit(State.FAILING);
        if ((s & problems) == 0) {
            s |= bit(State.HEALTHY);
        }
        return s;
    }

    static int bit(State s) {
        return 1 << s.ordinal();
    }

    /** The certificate after an evaluation (c null: removed). */
    void update(String key, Certificate c, String bucket, RenewalStatus renewal, boolean failing, long now) {
        Entry next = null;
        if (c != null) {
            boolean known = ExpiryRules.hasKnownExpiry(c);
            List<String> names = new ArrayList<>(DomainNames.of(c));
            String display = Alerts.displayName(c, c.getKey()).toLowerCase(Locale.ROOT).replace('\0', ' ');
            next = new Entry(states(known, bucket, renewal, failing), known ? c.getNotAfter().toEpochMilli() : null,
                    renewal == null ? RenewalStatus.UNKNOWN.name() : renewal.name(), display, names, Owners.of(owners, c.getKey(), c));
        }
        replace(key, summary.get(key), next, now);
    }

    /** The failing streak started or ended (RenewalProcessor); nothing for a key with no certificate. */
    void failing(String key, boolean failing, long now) {
        Entry e = summary.get(key);
        if (e == null || e.in(State.FAILING) == failing) {
            return;
        }
        int s = e.states() & ~bit(State.FAILING) & ~bit(State.HEALTHY);
        RenewalStatus r = RenewalStatus.valueOf(e.renewal());
        String bucket = (s & bit(State.EXPIRED)) != 0 ? ExpiryRules.EXPIRED : (s & bit(State.FLOOR)) != 0 ? "floor" : null;
        Entry next = new Entry(states(e.notAfter() != null, bucket, r, failing), e.notAfter(), e.renewal(), e.display(), e.names(), e.owner());
        replace(key, e, next, now);
    }

    /** An alert of this kind fired (+1) or resolved (-1): the firing count per kind. */
    void alerts(AlertKind kind, int delta) {
        add(Bytes.wrap(concat(new byte[]{ALERTS}, utf8(kind.name()))), delta);
    }

    private void replace(String key, Entry before, Entry after, long now) {
        if (Objects.equals(before, after)) {
            return;
        }
        if (!layoutKnown) {
            layoutKnown = true;
            // a task's first certificate: its index is this layout from the start, nothing to upgrade
            if (before == null && counts.get(Bytes.wrap(new byte[]{VERSION})) == null) {
                try (var it = summary.all()) {
                    if (!it.hasNext()) {
                        counts.put(Bytes.wrap(new byte[]{VERSION}), LAYOUT);
                    }
                }
            }
        }
        Set<Bytes> oldKeys = before == null ? Set.of() : indexKeys(key, before);
        Set<Bytes> newKeys = after == null ? Set.of() : indexKeys(key, after);
        for (Bytes k : oldKeys) {
            if (!newKeys.contains(k)) {
                index.delete(k);
            }
        }
        for (Bytes k : newKeys) {
            if (!oldKeys.contains(k)) {
                index.put(k, EMPTY);
            }
        }
        Map<Bytes, Long> delta = new HashMap<>();
        if (before != null) {
            counterKeys(key, before).forEach(k -> delta.merge(k, -1L, Long::sum));
        }
        if (after != null) {
            counterKeys(key, after).forEach(k -> delta.merge(k, 1L, Long::sum));
        }
        delta.forEach((k, d) -> {
            if (d != 0) {
                add(k, d);
            }
        });
        if (after == null) {
            summary.delete(key);
        } else {
            summary.put(key, after);
        }
        counts.put(Bytes.wrap(new byte[]{UPDATED}), now);
        Long sequence = counts.get(COUNTS_SEQUENCE);
        long next = (sequence == null ? 0 : sequence) + 1;
        counts.put(COUNTS_SEQUENCE, next);
        index.put(INDEX_SEQUENCE, sequenceBytes(next));
    }

    private void add(Bytes k, long d) {
        Long v = counts.get(k);
        long n = (v == null ? 0 : v) + d;
        if (n == 0) {
            counts.delete(k);
        } else {
            counts.put(k, n);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    static Set<Bytes> indexKeys(String key, Entry e) {
        Set<Bytes> out = new LinkedHashSet<>();
        byte[] tk = timeKey(e.notAfter(), key);
        String[] parts = key.split("/", -1);
        for (State s : State.values()) {
            if (e.in(s)) {
                out.add(Bytes.wrap(concat(new byte[]{STATE, s.code()}, tk)));
            }
        }
        out.add(Bytes.wrap(concat(new byte[]{TENANT}, utf8(parts[2]), new byte[]{0}, tk)));
        out.add(Bytes.wrap(concat(new byte[]{SOURCE}, utf8(parts[1]), new byte[]{0}, tk)));
        out.add(Bytes.wrap(concat(new byte[]{OWNER}, utf8(e.ownerPart()), new byte[]{0}, tk)));
        out.add(Bytes.wrap(concat(new byte[]{DISPLAY}, utf8(e.display()), new byte[]{0}, tk)));
        out.add(Bytes.wrap(concat(new byte[]{RENEWAL, renewalCode(e.renewal())}, tk)));
        if (!e.display().isEmpty() && !e.names().contains(e.display())) {
            out.add(Bytes.wrap(concat(new byte[]{NAME}, utf8(e.display()), new byte[]{0}, utf8(key))));
        }
        for (String n : e.names()) {
            out.add(Bytes.wrap(concat(new byte[]{NAME}, utf8(n), new byte[]{0}, utf8(key))));
            out.add(Bytes.wrap(concat(new byte[]{DOMAIN}, utf8(reversed(n)), new byte[]{0}, utf8(key))));
        }
        return out;
    }

    static List<Bytes> counterKeys(String key, Entry e) {
        String[] parts = key.split("/", -1);
        List<Bytes> out = new ArrayList<>();
        byte[][] scopes = {{SCOPE_FLEET}, concat(new byte[]{SCOPE_TENANT}, utf8(parts[2])), concat(new byte[]{SCOPE_SOURCE}, utf8(parts[1])),
                concat(new byte[]{SCOPE_OWNER}, utf8(e.ownerPart()))};
        for (byte[] scope : scopes) {
            out.add(counter(scope, ALL));
            for (State s : State.values()) {
                if (e.in(s)) {
                    out.add(counter(scope, s.code()));
                }
            }
        }
        out.add(counter(new byte[]{SCOPE_RENEWAL, renewalCode(e.renewal())}, ALL));
        if (e.notAfter() != null) {
            int day = (int) Math.floorDiv(e.notAfter(), ExpiryRules.DAY);
            out.add(histogram(SCOPE_FLEET, day, ""));
            out.add(histogram(SCOPE_TENANT, day, parts[2]));
            out.add(histogram(SCOPE_SOURCE, day, parts[1]));
            out.add(histogram(SCOPE_OWNER, day, e.ownerPart()));
        }
        return out;
    }

    /** The renewal state's byte in the {@link #RENEWAL} keys and counters (its Avro symbol's position: symbols are only ever appended). */
    static byte renewalCode(String renewal) {
        return (byte) RenewalStatus.valueOf(renewal).ordinal();
    }

    /**
     * Brings a task's index written by an earlier layout up to {@link #LAYOUT} (layout 1 had no
     * {@link #RENEWAL} keys): adds the missing keys of every certificate and sets the renewal counters
     * from the summaries. Idempotent, so a certificate already indexed under this layout is left as it
     * is; runs in a punctuation, so its writes commit with the task's transaction. Returns the certificates
     * visited (0: nothing to do).
     */
    long upgrade() {
        Long layout = counts.get(Bytes.wrap(new byte[]{VERSION}));
        if (layout != null && layout >= LAYOUT) {
            return 0;
        }
        Map<Bytes, Long> renewalCounts = new HashMap<>();
        long n = 0;
        try (var it = summary.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                index.put(Bytes.wrap(concat(new byte[]{RENEWAL, renewalCode(kv.value.renewal())}, timeKey(kv.value.notAfter(), kv.key))), EMPTY);
                renewalCounts.merge(counter(new byte[]{SCOPE_RENEWAL, renewalCode(kv.value.renewal())}, ALL), 1L, Long::sum);
                n++;
            }
        }
        for (RenewalStatus r : RenewalStatus.values()) {
            Bytes k = counter(new byte[]{SCOPE_RENEWAL, (byte) r.ordinal()}, ALL);
            Long c = renewalCounts.get(k);
            if (c == null) {
                counts.delete(k);
            } else {
                counts.put(k, c);
            }
        }
        counts.put(Bytes.wrap(new byte[]{VERSION}), LAYOUT);
        return n;
    }

    static Bytes counter(byte[] scope, byte state) {
        return Bytes.wrap(concat(new byte[]{COUNT}, scope, new byte[]{0, state}));
    }

    static Bytes histogram(byte dimension, int day, String value) {
        return Bytes.wrap(concat(new byte[]{HISTOGRAM, dimension}, dayBytes(day), utf8(value)));
    }

    static byte[] dayBytes(int day) {
        return ByteBuffer.allocate(4).putInt(day ^ Integer.MIN_VALUE).array();
    }

    static int day(byte[] histogramKey) {
        return ByteBuffer.wrap(histogramKey, 2, 4).getInt() ^ Integer.MIN_VALUE;
    }

    /** The time part of the ordered keys: {@link TimeIndex#key} of notAfter (unknown: last). */
    static byte[] timeKey(Long notAfter, String key) {
        return TimeIndex.key(notAfter == null ? Long.MAX_VALUE : notAfter, key).get();
    }

    /** {@code shop.example.com} to {@code com.example.shop}: a domain's names share its reversed prefix. */
    static String reversed(String name) {
        String[] labels = name.split("\\.", -1);
        StringBuilder b = new StringBuilder(name.length());
        for (int i = labels.length - 1; i >= 0; i--) {
            b.append(labels[i]);
            if (i > 0) {
                b.append('.');
            }
        }
        return b.toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
