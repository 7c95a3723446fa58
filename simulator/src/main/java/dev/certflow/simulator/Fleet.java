package dev.certflow.simulator;

import dev.certflow.events.ExpiryStatus;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A generated certificate fleet, deterministic from {@code (seed, size, start)}.
 *
 * <p>The fleet has nine units: three departments of one Leegality instance ({@code esign-main}),
 * three smoxy organisations and three Yeastar PBXs, each PBX in its own zone. Certificate number
 * {@code g} (0 &le; g &lt; size) belongs to unit {@code g % 9} at index {@code g / 9}. The first
 * indexes of every unit are the scripted certificates ({@link #scenario()}): about to cross each
 * threshold, expired, without expiry, renewals failing then succeeding, removed, added. The rest are
 * {@link Script#BACKGROUND} certificates that are computed from the seed when asked for and never
 * stored, so a fleet of a million costs no more memory than one of a hundred.
 *
 * <p>All instants are whole seconds; scripted times are offsets from {@code start} plus a stagger of
 * 7 minutes per unit so that units do not fire at the same instant.
 */
public final class Fleet {
    /** Marker inside every smoxy {@code privateKeyData}: it must never appear downstream. */
    public static final String PRIVATE_KEY_MARKER = "SIMULATED-PRIVATE-KEY";
    /** Marker inside every Yeastar {@code auth_info_list} secret value. */
    public static final String DNS_SECRET_MARKER = "SIMULATED-DNS-SECRET";

    /** Name of the Leegality instance (its three departments are units 0..2). */
    public static final String LEEGALITY_SOURCE = "esign-main";
    /** The PBX that goes down for a while. */
    public static final String OUTAGE_PBX = "pbx-newyork";

    static final List<Script> LEEGALITY_SCRIPTS = List.of(Script.CROSSES_30D, Script.CROSSES_14D, Script.CROSSES_7D,
            Script.CROSSES_1D, Script.EXPIRED, Script.NO_EXPIRY, Script.UNPARSEABLE_EXPIRY, Script.REPLACED,
            Script.REMOVED, Script.ADDED);
    static final List<Script> RENEWING_SCRIPTS = List.of(Script.CROSSES_30D, Script.CROSSES_14D, Script.CROSSES_7D,
            Script.CROSSES_1D, Script.EXPIRED, Script.NO_EXPIRY, Script.RENEWAL_FAILS_THEN_SUCCEEDS,
            Script.REMOVED, Script.ADDED);
    /** The unparseable Leegality expiry. */
    static final String GARBAGE_EXPIRY = "2027-02-30T25:61:00";

    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration HOUR = Duration.ofHours(1);
    private static final String[] WORDS = {"api", "mail", "vpn", "portal", "shop", "sso", "intranet", "cdn",
            "billing", "status", "git", "wiki", "crm", "erp", "files", "meet"};

    private final long seed;
    private final int size;
    private final Instant start;
    private final List<FleetUnit> units;
    private final List<List<FleetCertificate>> scripted;
    private final List<FleetCertificate> scenario;
    private final List<Outage> outages;

    /**
     * Generates the fleet.
     *
     * @param seed  everything variable is drawn from it
     * @param size  number of certificates (1 .. 100,000,000)
     * @param start the simulated start instant the script is relative to (truncated to seconds)
     */
    public Fleet(long seed, int size, Instant start) {
        this(seed, size, start, null);
    }

    /**
     * Generates the fleet with one given credential for every source (Leegality and smoxy tokens,
     * Yeastar client secrets; Yeastar client ids become the PBX names), for deployments whose ingest
     * configuration refers to it; null keeps the generated per-source credentials.
     */
    public Fleet(long seed, int size, Instant start, String credential) {
        if (size < 1 || size > 100_000_000) {
            throw new IllegalArgumentException("fleet size must be between 1 and 100000000, was " + size);
        }
        this.seed = seed;
        this.size = size;
        this.start = start.truncatedTo(ChronoUnit.SECONDS);
        this.units = List.copyOf(credential == null ? buildUnits()
                : buildUnits().stream().map(u -> new FleetUnit(u.index(), u.kind(), u.sourceName(), u.tenant(), u.label(), u.zone(),
                u.token() == null ? null : credential, u.clientId() == null ? null : u.sourceName(),
                u.clientSecret() == null ? null : credential)).toList());
        List<List<FleetCertificate>> perUnit = new ArrayList<>();
        List<FleetCertificate> all = new ArrayList<>();
        for (FleetUnit unit : units) {
            int n = Math.min(scripts(unit).size(), unitSize(unit.index()));
            List<FleetCertificate> list = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
                list.add(build(unit, j));
            }
            perUnit.add(List.copyOf(list));
            all.addAll(list);
        }
        this.scripted = List.copyOf(perUnit);
        this.scenario = List.copyOf(all);
        this.outages = List.of(new Outage(OUTAGE_PBX, this.start.plus(Duration.ofHours(4)),
                this.start.plus(Duration.ofHours(7)), this.start.plus(Duration.ofHours(10))));
    }

    public long seed() {
        return seed;
    }

    public int size() {
        return size;
    }

    public Instant start() {
        return start;
    }

    /** The nine tenants: Leegality departments, smoxy organisations, Yeastar PBXs. */
    public List<FleetUnit> units() {
        return units;
    }

    /**
     * The scripted certificates, about ten per unit, each with its key parts ({@link FleetCertificate#kind()},
     * {@code sourceName()}, {@code tenant()}, {@code sourceId()}, {@code key()}) and expected
     * {@link FleetCertificate#events()}. Held in memory; everything else is computed on demand.
     */
    public List<FleetCertificate> scenario() {
        return scenario;
    }

    /** Scripted source outages. */
    public List<Outage> outages() {
        return outages;
    }

    /** The outage scripted for a source, or null. */
    public Outage outageOf(String sourceName) {
        for (Outage o : outages) {
            if (o.sourceName().equals(sourceName)) {
                return o;
            }
        }
        return null;
    }

    /** How many objects the fleet holds: the scripted certificates only, whatever the size. */
    public int heldCertificates() {
        return scenario.size();
    }

    /** Number of certificates (present or not) in a unit. */
    public int unitSize(int unit) {
        int n = units.size();
        return size / n + (unit < size % n ? 1 : 0);
    }

    /** Number of scripted certificates at the head of a unit. */
    public int scriptedCount(int unit) {
        return scripted.get(unit).size();
    }

    /** Certificate {@code index} of a unit: the held object when scripted, a freshly computed one otherwise. */
    public FleetCertificate certificate(int unit, int index) {
        if (index < 0 || index >= unitSize(unit)) {
            throw new IndexOutOfBoundsException("unit " + unit + " has no certificate " + index);
        }
        List<FleetCertificate> head = scripted.get(unit);
        return index < head.size() ? head.get(index) : build(units.get(unit), index);
    }

    /** Certificates of a unit listed at {@code t}. */
    public int presentCount(int unit, Instant t) {
        int count = unitSize(unit) - scriptedCount(unit);
        for (FleetCertificate c : scripted.get(unit)) {
            if (c.presentAt(t)) {
                count++;
            }
        }
        return count;
    }

    /** Indexes of the certificates listed at {@code t}, from position {@code offset}, at most {@code limit}. */
    public int[] presentIndexes(int unit, Instant t, long offset, int limit) {
        List<Integer> head = new ArrayList<>();
        for (FleetCertificate c : scripted.get(unit)) {
            if (c.presentAt(t)) {
                head.add(c.index());
            }
        }
        int total = presentCount(unit, t);
        if (offset >= total || limit <= 0) {
            return new int[0];
        }
        int n = (int) Math.min(limit, total - offset);
        int[] out = new int[n];
        int scriptedCount = scriptedCount(unit);
        for (int i = 0; i < n; i++) {
            long pos = offset + i;
            out[i] = pos < head.size() ? head.get((int) pos) : (int) (scriptedCount + pos - head.size());
        }
        return out;
    }

    /** Finds a certificate of a unit by its source id, or null. Background ids carry their index. */
    public FleetCertificate bySourceId(int unit, String sourceId) {
        for (FleetCertificate c : scripted.get(unit)) {
            if (c.sourceId().equals(sourceId)) {
                return c;
            }
        }
        int index;
        FleetUnit u = units.get(unit);
        try {
            index = u.kind().equals("yeastar") ? Integer.parseInt(sourceId) - 1
                    : (int) UUID.fromString(sourceId).getLeastSignificantBits() ^ idMask(unit);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (index < scriptedCount(unit) || index >= unitSize(unit)) {
            return null;
        }
        FleetCertificate c = build(u, index);
        return c.sourceId().equals(sourceId) ? c : null;
    }

    /** smoxy attempts of a certificate finished by {@code t}, newest first. */
    public List<SmoxyAttempt> smoxyAttempts(FleetCertificate c, Instant t) {
        List<SmoxyAttempt> all = new ArrayList<>();
        long h = c.hash();
        String[] sans = {c.domain(), "www." + c.domain()};
        boolean custom = smoxyCustom(c);
        int k = 0;
        if (custom) {
            all.add(attempt(c, k++, "upload", "succeeded", c.createdAt(), null, null, c.expiry(), sans));
        } else if (c.script() == Script.BACKGROUND) {
            int m = 1 + (int) Long.remainderUnsigned(h >>> 8, 3);
            for (int i = m; i >= 1; i--) {
                Instant finished = c.expiry().minus(Duration.ofDays(90L * i));
                boolean newest = i == 1;
                boolean trap = newest && Long.remainderUnsigned(h >>> 12, 5) == 0;
                all.add(attempt(c, k++, i == m ? "acme_issue" : "acme_renew", "succeeded", finished,
                        trap ? "acme_error" : null, trap ? "DNS challenge validation failed" : null,
                        finished.plus(Duration.ofDays(90)), sans));
            }
        } else if (c.expiry() != null || c.script() == Script.RENEWAL_FAILS_THEN_SUCCEEDS) {
            Instant issued = c.addedAt() != null ? c.addedAt() : c.createdAt();
            all.add(attempt(c, k++, "acme_issue", "succeeded", issued, null, null, c.expiry(), sans));
            if (c.renewalFailedAt() != null) {
                all.add(attempt(c, k++, "acme_renew", "failed", c.renewalFailedAt(), "acme_error",
                        "DNS challenge validation failed", null, sans));
            }
            if (c.renewedAt() != null) {
                all.add(attempt(c, k++, "acme_renew", "succeeded", c.renewedAt(), null, null,
                        c.renewedExpiry(), sans));
            }
        }
        List<SmoxyAttempt> visible = new ArrayList<>();
        for (SmoxyAttempt a : all) {
            if (!a.finishedAt().isAfter(t)) {
                visible.add(a);
            }
        }
        Collections.reverse(visible);
        return visible;
    }

    private SmoxyAttempt attempt(FleetCertificate c, int k, String type, String status, Instant finished,
                                 String errorCode, String errorMessage, Instant issuedExpiresAt, String[] sans) {
        long h = hash(c.unit().index(), c.index(), 1000 + k);
        Instant started = finished.minusSeconds(60 + Long.remainderUnsigned(h, 120));
        return new SmoxyAttempt(uuid(h, hash(c.unit().index(), c.index(), 2000 + k), (int) mix(h + k)).toString(), type, status,
                started, finished, errorCode, errorMessage, List.of(sans), issuedExpiresAt);
    }

    /** Whether a smoxy certificate is an uploaded ({@code custom}) one rather than ACME-managed. */
    boolean smoxyCustom(FleetCertificate c) {
        return c.script() == Script.BACKGROUND && Long.remainderUnsigned(c.hash() >>> 20, 4) == 0;
    }

    // ---- generation ----

    private List<FleetUnit> buildUnits() {
        List<FleetUnit> list = new ArrayList<>();
        ZoneId kolkata = ZoneId.of("Asia/Kolkata");
        String lgToken = token("lg", 0, 40);
        String[] departments = {"HR", "Finance", "Legal"};
        for (int i = 0; i < departments.length; i++) {
            String deptId = uuid(hash(100 + i, 0, 1), hash(100 + i, 0, 2), (int) hash(100 + i, 0, 3)).toString();
            list.add(new FleetUnit(list.size(), "leegality", LEEGALITY_SOURCE, deptId, departments[i], kolkata,
                    lgToken, null, null));
        }
        String[][] orgs = {{"smoxy-acme", "org-1", "Acme"}, {"smoxy-globex", "org-2", "Globex"},
                {"smoxy-initech", "org-3", "Initech"}};
        for (String[] org : orgs) {
            list.add(new FleetUnit(list.size(), "smoxy", org[0], org[1], org[2], ZoneId.of("UTC"),
                    token("smx", list.size(), 40), null, null));
        }
        String[][] pbxs = {{"pbx-berlin", "Europe/Berlin", "Berlin"}, {OUTAGE_PBX, "America/New_York", "New York"},
                {"pbx-mumbai", "Asia/Kolkata", "Mumbai"}};
        for (String[] pbx : pbxs) {
            int idx = list.size();
            list.add(new FleetUnit(idx, "yeastar", pbx[0], pbx[0], pbx[2], ZoneId.of(pbx[1]),
                    null, alnum(idx, 11, 32), alnum(idx, 12, 32)));
        }
        return list;
    }

    private static List<Script> scripts(FleetUnit unit) {
        return unit.kind().equals("leegality") ? LEEGALITY_SCRIPTS : RENEWING_SCRIPTS;
    }

    private FleetCertificate build(FleetUnit unit, int j) {
        List<Script> scripts = scripts(unit);
        Script script = j < scripts.size() ? scripts.get(j) : Script.BACKGROUND;
        long h = hash(unit.index(), j, 0);
        boolean leegality = unit.kind().equals("leegality");
        ExpiryFormat format = leegality
                ? ExpiryFormat.values()[(int) Long.remainderUnsigned(
                        script == Script.BACKGROUND ? h >>> 16 : j + unit.index(), ExpiryFormat.values().length)]
                : null;
        Duration stagger = Duration.ofMinutes(7L * unit.index());
        Instant expiry = null;
        Instant added = null;
        Instant removed = null;
        Instant failed = null;
        Instant renewed = null;
        Instant renewedExpiry = null;
        ExpiryStatus none = ExpiryStatus.MISSING;
        String raw = null;
        switch (script) {
            case CROSSES_30D -> expiry = at(Duration.ofDays(30).plusHours(6).plus(stagger));
            case CROSSES_14D -> expiry = at(Duration.ofDays(14).plusHours(9).plus(stagger));
            case CROSSES_7D -> expiry = at(Duration.ofDays(7).plusHours(12).plus(stagger));
            case CROSSES_1D -> expiry = at(DAY.plusHours(3).plus(stagger));
            case EXPIRED -> expiry = at(Duration.ofDays(-10).plus(stagger));
            case NO_EXPIRY -> none = unit.kind().equals("yeastar") ? ExpiryStatus.PENDING : ExpiryStatus.MISSING;
            case UNPARSEABLE_EXPIRY -> {
                none = ExpiryStatus.UNPARSEABLE;
                raw = GARBAGE_EXPIRY;
            }
            case RENEWAL_FAILS_THEN_SUCCEEDS -> {
                expiry = at(Duration.ofDays(5).plus(stagger));
                failed = at(HOUR.multipliedBy(2).plus(stagger));
                renewed = at(HOUR.multipliedBy(8).plus(stagger));
                renewedExpiry = renewed.plus(Duration.ofDays(90));
            }
            case REPLACED -> {
                expiry = at(Duration.ofDays(5).plus(stagger));
                renewed = at(HOUR.multipliedBy(8).plus(stagger));
                renewedExpiry = renewed.plus(Duration.ofDays(365));
            }
            case REMOVED -> {
                expiry = at(Duration.ofDays(40).plus(stagger));
                removed = at(HOUR.multipliedBy(12).plus(stagger));
            }
            case ADDED -> {
                added = at(HOUR.multipliedBy(6).plus(stagger));
                expiry = at(Duration.ofDays(20).plus(stagger));
            }
            case BACKGROUND -> {
                // smoxy ACME certificates live 90 days; everything else up to two years
                long spanSeconds = unit.kind().equals("smoxy") ? 29L * 86400 : 700L * 86400;
                expiry = at(Duration.ofDays(60).plusSeconds(Long.remainderUnsigned(h >>> 24, spanSeconds)));
            }
        }
        if (format != null) {
            expiry = expiry == null ? null : format.representable(expiry, unit.zone());
            renewedExpiry = renewedExpiry == null ? null : format.representable(renewedExpiry, unit.zone());
        }
        String word = WORDS[(int) Long.remainderUnsigned(h >>> 32, WORDS.length)];
        String domain = word + "-" + j + "." + unit.label().toLowerCase(Locale.ROOT).replace(' ', '-') + ".example";
        Instant created;
        if (added != null) {
            created = added;
        } else if (script == Script.BACKGROUND && unit.kind().equals("smoxy")) {
            created = expiry.minus(Duration.ofDays(90L * (1 + Long.remainderUnsigned(h >>> 8, 3))));
        } else if (expiry != null && unit.kind().equals("smoxy")) {
            created = expiry.minus(Duration.ofDays(90));
        } else {
            created = start.minus(Duration.ofDays(30 + Long.remainderUnsigned(h >>> 40, 300)));
        }
        String sourceId;
        String name;
        if (unit.kind().equals("yeastar")) {
            sourceId = Integer.toString(j + 1);
            name = domain + (Long.remainderUnsigned(h, 2) == 0 ? ".crt" : ".pem");
        } else {
            sourceId = uuid(h, hash(unit.index(), j, 3), j ^ idMask(unit.index())).toString();
            name = domain;
        }
        return new FleetCertificate(unit, j, script, sourceId, name, domain, created, expiry, none, format, raw,
                added, removed, failed, renewed, renewedExpiry, h);
    }

    private Instant at(Duration offset) {
        return start.plus(offset).truncatedTo(ChronoUnit.SECONDS);
    }

    long hash(int unit, int index, int salt) {
        return mix(seed * 0x9E3779B97F4A7C15L + mix(((long) unit << 48) ^ ((long) salt << 32) ^ (index & 0xFFFFFFFFL)));
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Per-unit mask hiding the index in the low bits of an id (ids need not look sequential). */
    int idMask(int unit) {
        return (int) hash(unit, 0, 77);
    }

    /** A version-4-shaped UUID whose low 32 bits carry {@code index} (masked), so ids are found without a table. */
    static UUID uuid(long h1, long h2, int index) {
        long msb = (h1 & ~0xF000L) | 0x4000L;
        long lsb = 0x8000_0000_0000_0000L | ((h2 & 0x3FFF_FFFFL) << 32) | (index & 0xFFFF_FFFFL);
        return new UUID(msb, lsb);
    }

    private String token(String prefix, int salt, int length) {
        return prefix + "_" + alnum(salt, 7, length - prefix.length() - 1);
    }

    private String alnum(int salt, int salt2, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt((int) Long.remainderUnsigned(hash(200 + salt, i, salt2), alphabet.length())));
        }
        return sb.toString();
    }

    /**
     * One smoxy attempt as the collection shows it.
     */
    public record SmoxyAttempt(String id, String type, String status, Instant startedAt, Instant finishedAt,
                               String errorCode, String errorMessage, List<String> sans, Instant issuedExpiresAt) {
    }
}
