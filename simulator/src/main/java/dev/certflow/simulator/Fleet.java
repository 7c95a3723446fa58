package dev.certflow.simulator;

import dev.certflow.events.ExpiryStatus;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A generated certificate fleet, deterministic from {@code (seed, size, start, profile)}.
 *
 * <p>The fleet has nine units: three departments of one Leegality instance ({@code esign-main}),
 * three smoxy organisations and three Yeastar PBXs, each PBX in its own zone. Certificate number
 * {@code g} (0 &le; g &lt; size) belongs to unit {@code g % 9} at index {@code g / 9}. The first
 * indexes of every unit (and, in {@link Profile#YEAR}, the last index of each PBX) are the scripted
 * certificates of the {@link Profile} ({@link #scenario()}). The rest are {@link Script#BACKGROUND}
 * certificates, computed from the seed when asked for and never stored, so a fleet of a million costs
 * no more memory than one of a hundred.
 *
 * <p>Background certificates have realistic lifetimes and renew on schedule for ever
 * ({@link RenewalMode}): smoxy {@code auto_managed} 30 days before expiry, Yeastar {@code apply} at one
 * third remaining, uploaded ones by hand before the 30-day lead time, Leegality signing certificates
 * replaced by a new id. Lifetimes, by mode: automatic 47 d (40 %), 100 d (30 %), 200 d (20 %), 398 d
 * (10 %); uploaded 100 d (30 %), 200 d (40 %), 398 d (30 %); Leegality 200 d (30 %), 398 d (70 %);
 * trusted CAs on the PBXs ten years. Each starts at a seed-drawn phase with up to two earlier
 * generations, so renewals are spread evenly over time.
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
    static final List<Script> YEAR_LEEGALITY = List.of(Script.SUPERSEDED);
    /** The renewed holder of RENEWED_NOT_DEPLOYED is index 2, so it exists whenever its PBX copy does. */
    static final List<Script> YEAR_SMOXY = List.of(Script.RENEWAL_STOPS, Script.RENEWAL_FAILS,
            Script.RENEWED_NOT_DEPLOYED, Script.SAN_DROPPED);
    static final List<Script> YEAR_YEASTAR = List.of(Script.RENEWAL_STOPS, Script.RENEWAL_FAILS);
    /** Last on its PBX's list, so that deleting it shifts no other certificate between pages. */
    static final List<Script> YEAR_YEASTAR_LAST = List.of(Script.RENEWED_NOT_DEPLOYED);
    /** Lifetime of the automatically renewed scripted certificates of the year: 30 days is then a third of it. */
    static final Duration SCRIPTED_AUTO_LIFETIME = Duration.ofDays(90);
    /** The unparseable Leegality expiry. */
    static final String GARBAGE_EXPIRY = "2027-02-30T25:61:00";

    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration HOUR = Duration.ofHours(1);
    private static final String[] WORDS = {"api", "mail", "vpn", "portal", "shop", "sso", "intranet", "cdn",
            "billing", "status", "git", "wiki", "crm", "erp", "files", "meet"};

    private final long seed;
    private final int size;
    private final Instant start;
    private final Profile profile;
    private final Instant horizon;
    private final List<FleetUnit> units;
    private final List<List<FleetCertificate>> first;
    private final List<List<FleetCertificate>> last;
    private final List<FleetCertificate> scenario;
    private final List<Outage> outages;

    /**
     * Generates the scripted-day fleet ({@link Profile#DAY}).
     *
     * @param seed  everything variable is drawn from it
     * @param size  number of certificates (1 .. 100,000,000)
     * @param start the simulated start instant the script is relative to (truncated to seconds)
     */
    public Fleet(long seed, int size, Instant start) {
        this(seed, size, start, null, Profile.DAY);
    }

    /** Generates the fleet of a profile. */
    public Fleet(long seed, int size, Instant start, Profile profile) {
        this(seed, size, start, null, profile);
    }

    /**
     * Generates the scripted-day fleet with one given credential for every source (Leegality and smoxy
     * tokens, Yeastar client secrets; Yeastar client ids become the PBX names), for deployments whose
     * ingest configuration refers to it; null keeps the generated per-source credentials.
     */
    public Fleet(long seed, int size, Instant start, String credential) {
        this(seed, size, start, credential, Profile.DAY);
    }

    /** Generates the fleet of a profile, with one credential for every source (null = generated ones). */
    public Fleet(long seed, int size, Instant start, String credential, Profile profile) {
        if (size < 1 || size > 100_000_000) {
            throw new IllegalArgumentException("fleet size must be between 1 and 100000000, was " + size);
        }
        this.seed = seed;
        this.size = size;
        this.start = start.truncatedTo(ChronoUnit.SECONDS);
        this.profile = profile;
        this.horizon = this.start.plus(profile.horizon());
        this.units = List.copyOf(credential == null ? buildUnits()
                : buildUnits().stream().map(u -> new FleetUnit(u.index(), u.kind(), u.sourceName(), u.tenant(), u.label(), u.zone(),
                u.token() == null ? null : credential, u.clientId() == null ? null : u.sourceName(),
                u.clientSecret() == null ? null : credential)).toList());
        List<List<FleetCertificate>> heads = new ArrayList<>();
        List<List<FleetCertificate>> lasts = new ArrayList<>();
        List<FleetCertificate> all = new ArrayList<>();
        for (FleetUnit unit : units) {
            int n = unitSize(unit.index());
            int h = Math.min(firstScripts(unit).size(), n);
            int l = Math.min(lastScripts(unit).size(), n - h);
            List<FleetCertificate> headList = new ArrayList<>(h);
            for (int j = 0; j < h; j++) {
                headList.add(scripted(unit, j, firstScripts(unit).get(j), heads));
            }
            List<FleetCertificate> lastList = new ArrayList<>(l);
            for (int k = 0; k < l; k++) {
                lastList.add(scripted(unit, n - l + k, lastScripts(unit).get(k), heads));
            }
            heads.add(List.copyOf(headList));
            lasts.add(List.copyOf(lastList));
            all.addAll(headList);
            all.addAll(lastList);
        }
        this.first = List.copyOf(heads);
        this.last = List.copyOf(lasts);
        this.scenario = List.copyOf(all);
        this.outages = List.of(new Outage(OUTAGE_PBX, this.start.plus(profile.outageFrom()),
                this.start.plus(profile.outageDropping()), this.start.plus(profile.outageUntil())));
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

    public Profile profile() {
        return profile;
    }

    /** How far {@link FleetCertificate#events()} follow renewals on schedule: start + the profile's horizon. */
    public Instant horizon() {
        return horizon;
    }

    /** The nine tenants: Leegality departments, smoxy organisations, Yeastar PBXs. */
    public List<FleetUnit> units() {
        return units;
    }

    /**
     * The scripted certificates of the profile, each with its key parts ({@link FleetCertificate#kind()},
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
        return first.get(unit).size();
    }

    /** Index of the first scripted certificate at the end of a unit (the unit size when there is none). */
    private int lastStart(int unit) {
        return unitSize(unit) - last.get(unit).size();
    }

    /** Certificate {@code index} of a unit: the held object when scripted, a freshly computed one otherwise. */
    public FleetCertificate certificate(int unit, int index) {
        if (index < 0 || index >= unitSize(unit)) {
            throw new IndexOutOfBoundsException("unit " + unit + " has no certificate " + index);
        }
        List<FleetCertificate> head = first.get(unit);
        if (index < head.size()) {
            return head.get(index);
        }
        int lastStart = lastStart(unit);
        return index >= lastStart ? last.get(unit).get(index - lastStart) : background(units.get(unit), index);
    }

    /** Certificates of a unit listed at {@code t}. */
    public int presentCount(int unit, Instant t) {
        return lastStart(unit) - scriptedCount(unit) + presentScripted(first.get(unit), t).size()
                + presentScripted(last.get(unit), t).size();
    }

    private static List<Integer> presentScripted(List<FleetCertificate> list, Instant t) {
        List<Integer> out = new ArrayList<>();
        for (FleetCertificate c : list) {
            if (c.presentAt(t)) {
                out.add(c.index());
            }
        }
        return out;
    }

    /** Indexes of the certificates listed at {@code t}, from position {@code offset}, at most {@code limit}. */
    public int[] presentIndexes(int unit, Instant t, long offset, int limit) {
        List<Integer> head = presentScripted(first.get(unit), t);
        List<Integer> tail = presentScripted(last.get(unit), t);
        int scriptedCount = scriptedCount(unit);
        long background = lastStart(unit) - scriptedCount;
        long total = head.size() + background + tail.size();
        if (offset >= total || limit <= 0) {
            return new int[0];
        }
        int n = (int) Math.min(limit, total - offset);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long pos = offset + i;
            if (pos < head.size()) {
                out[i] = head.get((int) pos);
            } else if (pos < head.size() + background) {
                out[i] = (int) (scriptedCount + pos - head.size());
            } else {
                out[i] = tail.get((int) (pos - head.size() - background));
            }
        }
        return out;
    }

    /**
     * Finds a certificate of a unit by a source id of any of its generations, or null. Background ids
     * carry their index (and, for new-id renewals, their generation).
     */
    public FleetCertificate bySourceId(int unit, String sourceId) {
        FleetUnit u = units.get(unit);
        int index;
        UUID uuid = null;
        try {
            if (u.kind().equals("yeastar")) {
                index = Integer.parseInt(sourceId) - 1;
            } else {
                uuid = UUID.fromString(sourceId);
                index = (int) uuid.getLeastSignificantBits() ^ idMask(unit);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (index < 0 || index >= unitSize(unit)) {
            return null;
        }
        FleetCertificate c = certificate(unit, index);
        for (Generation g : c.head()) {
            if (g.sourceId().equals(sourceId)) {
                return c;
            }
        }
        if (c.tail() == null) {
            return null;
        }
        if (c.generation(c.tail().first()).sourceId().equals(sourceId)) {
            return c;
        }
        // a new id per generation: the id names its generation
        Generation g = c.tail().ids() == null || uuid == null ? null
                : c.generation(Math.max(c.tail().first(), Cycle.IdScheme.generationOf(uuid)));
        return g != null && g.sourceId().equals(sourceId) ? c : null;
    }

    /** smoxy attempts of a certificate finished by {@code t}, newest first. */
    public List<SmoxyAttempt> smoxyAttempts(FleetCertificate c, Instant t) {
        List<SmoxyAttempt> all = new ArrayList<>();
        boolean upload = c.mode() == RenewalMode.MANUAL;
        for (Generation g : c.issuedBy(t)) {
            boolean trap = !upload && !c.scripted() && g.number() > 0 && Long.remainderUnsigned(mix(c.hash() + g.number()), 5) == 0;
            all.add(attempt(c, 2 * g.number(), upload ? "upload" : g.number() == 0 ? "acme_issue" : "acme_renew",
                    "succeeded", g.issuedAt(), trap ? "acme_error" : null, trap ? "DNS challenge validation failed" : null,
                    g.notAfter(), g.sans()));
        }
        List<Instant> failures = c.failedAttempts();
        for (int i = 0; i < failures.size(); i++) {
            if (!failures.get(i).isAfter(t)) {
                all.add(attempt(c, 20_000 + i, "acme_renew", "failed", failures.get(i), "acme_error",
                        "DNS challenge validation failed", null, c.generationAt(failures.get(i)).sans()));
            }
        }
        all.sort(Comparator.comparing(SmoxyAttempt::finishedAt));
        Collections.reverse(all);
        return all;
    }

    private SmoxyAttempt attempt(FleetCertificate c, int k, String type, String status, Instant finished,
                                 String errorCode, String errorMessage, Instant issuedExpiresAt, List<String> sans) {
        long h = hash(c.unit().index(), c.index(), 1000 + k);
        Instant started = finished.minusSeconds(60 + Long.remainderUnsigned(h, 120));
        return new SmoxyAttempt(uuid(h, hash(c.unit().index(), c.index(), 2000 + k), (int) mix(h + k)).toString(), type, status,
                started, finished, errorCode, errorMessage, sans, issuedExpiresAt);
    }

    /** Whether a smoxy certificate is an uploaded ({@code custom}) one rather than ACME-managed. */
    boolean smoxyCustom(FleetCertificate c) {
        return c.mode() == RenewalMode.MANUAL;
    }

    /**
     * How many EXPIRING / EXPIRED alerts fixed day thresholds would fire for the whole fleet between
     * {@code from} and {@code to}: each certificate listed in that window fires once for the bucket it is
     * in when first seen and once more for each threshold (and its expiry) it crosses while listed. The
     * old defaults {@code [30, 14, 7, 1]} give the number issue 11 is about; the floors {@code [7, 1]}
     * give what a healthy fleet should cost under the renewal-aware defaults (its scripted faults aside).
     * Visits every certificate: O(size x renewals in the window).
     */
    public long fixedThresholdFirings(List<Integer> thresholdDays, Instant from, Instant to, boolean backgroundOnly) {
        long count = 0;
        for (FleetUnit u : units) {
            int n = unitSize(u.index());
            for (int j = 0; j < n; j++) {
                FleetCertificate c = certificate(u.index(), j);
                if (!backgroundOnly || !c.scripted()) {
                    count += firings(c, thresholdDays, from, to);
                }
            }
        }
        return count;
    }

    private static long firings(FleetCertificate c, List<Integer> thresholdDays, Instant from, Instant to) {
        long widest = thresholdDays.stream().mapToLong(Integer::longValue).max().orElse(0) * 86_400;
        long count = 0;
        Generation g = c.generationAt(from);
        Generation previous = c.generation(g.number() - 1);
        if (previous != null && !previous.sourceId().equals(g.sourceId())) {
            g = previous; // still listed for a while after its successor
        }
        for (; g != null && !g.issuedAt().isAfter(to); g = c.generation(g.number() + 1)) {
            if (g.notAfter() == null) {
                continue;
            }
            Generation next = c.generation(g.number() + 1);
            Instant end = next == null ? null : next.sourceId().equals(g.sourceId()) || g.listedUntil() == null
                    ? next.issuedAt() : g.listedUntil();
            long seenFrom = Math.max(from.getEpochSecond(), Math.max(g.issuedAt().getEpochSecond(),
                    c.addedAt() == null ? Long.MIN_VALUE : c.addedAt().getEpochSecond()));
            long seenTo = Math.min(to.getEpochSecond(), Math.min(end == null ? Long.MAX_VALUE : end.getEpochSecond(),
                    c.removedAt() == null ? Long.MAX_VALUE : c.removedAt().getEpochSecond()));
            if (seenFrom >= seenTo) {
                continue;
            }
            long notAfter = g.notAfter().getEpochSecond();
            if (notAfter - seenFrom <= widest) {
                count++; // in a bucket when first seen
            }
            for (int d : thresholdDays) {
                long boundary = notAfter - d * 86_400L;
                if (boundary > seenFrom && boundary < seenTo) {
                    count++;
                }
            }
            if (notAfter > seenFrom && notAfter < seenTo) {
                count++;
            }
        }
        return count;
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

    private List<Script> firstScripts(FleetUnit unit) {
        return switch (profile) {
            case DAY -> unit.kind().equals("leegality") ? LEEGALITY_SCRIPTS : RENEWING_SCRIPTS;
            case YEAR -> switch (unit.kind()) {
                case "leegality" -> YEAR_LEEGALITY;
                case "smoxy" -> YEAR_SMOXY;
                default -> YEAR_YEASTAR;
            };
        };
    }

    private List<Script> lastScripts(FleetUnit unit) {
        return profile == Profile.YEAR && unit.kind().equals("yeastar") ? YEAR_YEASTAR_LAST : List.of();
    }

    /** The parts every certificate of a position shares, whatever its script. */
    private record Basics(long hash, String sourceId, String domain, String name, ExpiryFormat format, List<String> sans) {
    }

    private Basics basics(FleetUnit unit, int j, boolean scripted, String domainOverride) {
        long h = hash(unit.index(), j, 0);
        boolean leegality = unit.kind().equals("leegality");
        ExpiryFormat format = leegality
                ? ExpiryFormat.values()[(int) Long.remainderUnsigned(
                        scripted ? j + unit.index() : h >>> 16, ExpiryFormat.values().length)]
                : null;
        String word = WORDS[(int) Long.remainderUnsigned(h >>> 32, WORDS.length)];
        String domain = domainOverride != null ? domainOverride
                : word + "-" + j + "." + unit.label().toLowerCase(Locale.ROOT).replace(' ', '-') + ".example";
        String sourceId;
        String name;
        if (unit.kind().equals("yeastar")) {
            sourceId = Integer.toString(j + 1);
            name = domain + (domainOverride != null || Long.remainderUnsigned(h, 2) == 0 ? ".crt" : ".pem");
        } else {
            sourceId = uuid(h, hash(unit.index(), j, 3), j ^ idMask(unit.index())).toString();
            name = domain;
        }
        return new Basics(h, sourceId, domain, name, format, List.of(domain, "www." + domain));
    }

    /** A background certificate: a life on schedule from a seed-drawn phase, nothing stored. */
    private FleetCertificate background(FleetUnit unit, int j) {
        Basics b = basics(unit, j, false, null);
        long h = b.hash();
        RenewalMode mode = switch (unit.kind()) {
            case "leegality" -> RenewalMode.MANUAL_NEW_ID;
            case "smoxy" -> Long.remainderUnsigned(h >>> 20, 4) == 0 ? RenewalMode.MANUAL : RenewalMode.SMOXY_AUTO;
            default -> j % 10 == 5 ? RenewalMode.NONE
                    : Long.remainderUnsigned(h >>> 20, 2) == 0 ? RenewalMode.ONE_THIRD : RenewalMode.MANUAL;
        };
        Duration lifetime = mode.lifetime((int) Long.remainderUnsigned(h >>> 44, 10));
        if (mode == RenewalMode.NONE) {
            // a trusted CA issued up to 8 years ago, valid for ten: never expires within two years of the start
            Instant issued = start.minusSeconds(Long.remainderUnsigned(h >>> 24, 8L * 365 * 86_400));
            Generation only = new Generation(0, b.sourceId(), issued, issued.plus(lifetime), List.of(b.domain()), null);
            return certificate(unit, j, Script.BACKGROUND, mode, lifetime, b, ExpiryStatus.MISSING, null, null, null,
                    List.of(only), null, List.of(), List.of());
        }
        long period = period(mode, lifetime);
        long history = Long.remainderUnsigned(h >>> 8, 3);
        long t0 = start.getEpochSecond() - Long.remainderUnsigned(h >>> 24, period) - history * period;
        Cycle cycle = cycle(unit, j, mode, lifetime, 0, t0, b);
        return certificate(unit, j, Script.BACKGROUND, mode, lifetime, b, ExpiryStatus.MISSING, null, null, null,
                List.of(), cycle, List.of(), List.of());
    }

    private static long period(RenewalMode mode, Duration lifetime) {
        return lifetime.minus(mode.renewBefore(lifetime)).plus(mode.jitter()).toSeconds();
    }

    private Cycle cycle(FleetUnit unit, int j, RenewalMode mode, Duration lifetime, int firstNumber, long t0, Basics b) {
        Cycle.IdScheme ids = mode == RenewalMode.MANUAL_NEW_ID
                ? new Cycle.IdScheme(b.hash(), hash(unit.index(), j, 3), j ^ idMask(unit.index())) : null;
        return new Cycle(firstNumber, t0, lifetime.toSeconds(), period(mode, lifetime), mode.jitter().toSeconds(),
                hash(unit.index(), j, 9), ids, b.sourceId(), RenewalMode.NEW_ID_OVERLAP.toSeconds(), b.sans(), b.format(),
                unit.zone());
    }

    private FleetCertificate certificate(FleetUnit unit, int j, Script script, RenewalMode mode, Duration lifetime, Basics b,
                                         ExpiryStatus none, String raw, Instant added, Instant removed,
                                         List<Generation> head, Cycle tail, List<Instant> failures, List<ScriptEvent> conclusions) {
        return new FleetCertificate(unit, j, script, mode, lifetime, b.name(), b.domain(), none, b.format(), raw, added,
                removed, head, tail, failures, conclusions, start, horizon, b.hash());
    }

    private FleetCertificate scripted(FleetUnit unit, int j, Script script, List<List<FleetCertificate>> built) {
        return switch (script) {
            case RENEWAL_STOPS, RENEWAL_FAILS, RENEWED_NOT_DEPLOYED, SAN_DROPPED, SUPERSEDED -> yearScripted(unit, j, script, built);
            case BACKGROUND -> throw new IllegalArgumentException("not a script: " + script);
            default -> dayScripted(unit, j, script);
        };
    }

    /** The scripted day, exactly as before realistic lifetimes: one or two generations, no periodic part. */
    private FleetCertificate dayScripted(FleetUnit unit, int j, Script script) {
        Basics b = basics(unit, j, true, null);
        long h = b.hash();
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
            default -> throw new IllegalArgumentException("not a day script: " + script);
        }
        if (b.format() != null) {
            expiry = expiry == null ? null : b.format().representable(expiry, unit.zone());
            renewedExpiry = renewedExpiry == null ? null : b.format().representable(renewedExpiry, unit.zone());
        }
        Instant created;
        if (added != null) {
            created = added;
        } else if (expiry != null && unit.kind().equals("smoxy")) {
            created = expiry.minus(Duration.ofDays(90));
        } else {
            created = start.minus(Duration.ofDays(30 + Long.remainderUnsigned(h >>> 40, 300)));
        }
        List<Generation> head = new ArrayList<>();
        head.add(new Generation(0, b.sourceId(), created, expiry, b.sans(), null));
        if (renewed != null) {
            head.add(new Generation(1, b.sourceId(), renewed, renewedExpiry, b.sans(), null));
        }
        RenewalMode mode = switch (unit.kind()) {
            case "smoxy" -> RenewalMode.SMOXY_AUTO;
            case "yeastar" -> script == Script.NO_EXPIRY || script == Script.RENEWAL_FAILS_THEN_SUCCEEDS
                    || script == Script.ADDED || j % 2 == 1 ? RenewalMode.ONE_THIRD : RenewalMode.MANUAL;
            default -> RenewalMode.MANUAL;
        };
        Duration lifetime = expiry == null ? Duration.ZERO : Duration.between(created, expiry);
        return certificate(unit, j, script, mode, lifetime, b, none, raw, added, removed, head, null,
                failed == null ? List.of() : List.of(failed), List.of());
    }

    /**
     * The renewal year's scripts (see {@link Script} for each timeline). Conclusions follow issue 11's
     * defaults: expected renewal {@code notAfter - 30d} (smoxy's point, a third of 90 days, or the
     * 30-day manual lead), overdue 2 days later, floors at 7 and 1 days, each alert resolved when the
     * source shows the renewal.
     */
    private FleetCertificate yearScripted(FleetUnit unit, int j, Script script, List<List<FleetCertificate>> built) {
        boolean pbx = unit.kind().equals("yeastar");
        FleetCertificate renewedHolder = null;
        Duration stagger = Duration.ofMinutes(7L * unit.index());
        String domain = null;
        if (script == Script.RENEWED_NOT_DEPLOYED) {
            FleetUnit org = units.get(pbx ? 3 + unit.index() - 6 : unit.index());
            domain = "shop." + org.label().toLowerCase(Locale.ROOT) + ".example";
            stagger = Duration.ofMinutes(7L * org.index()); // the copy carries the smoxy certificate's instants
            if (pbx) {
                renewedHolder = built.get(org.index()).get(YEAR_SMOXY.indexOf(Script.RENEWED_NOT_DEPLOYED));
            }
        }
        Basics b = basics(unit, j, true, domain);
        Instant s = start.plus(stagger);
        RenewalMode mode = switch (unit.kind()) {
            case "leegality" -> RenewalMode.MANUAL_NEW_ID;
            case "smoxy" -> RenewalMode.SMOXY_AUTO;
            default -> renewedHolder != null ? RenewalMode.MANUAL : RenewalMode.ONE_THIRD;
        };
        Duration lifetime = mode == RenewalMode.MANUAL_NEW_ID ? Duration.ofDays(398) : SCRIPTED_AUTO_LIFETIME;
        Instant expiry = null;
        List<Generation> head = new ArrayList<>();
        List<Instant> failures = new ArrayList<>();
        List<ScriptEvent> c = new ArrayList<>();
        Instant removed = null;
        Instant tailFrom = null;
        switch (script) {
            case RENEWAL_STOPS -> {
                expiry = s.plus(days(60));
                head.add(new Generation(0, b.sourceId(), expiry.minus(lifetime), expiry, b.sans(), null));
                overdue(c, expiry, pbx ? firstSightDue(expiry) : expiry.minus(days(30)));
                c.add(ScriptEvent.firing(expiry.minus(days(7)), ScriptEvent.Alert.EXPIRING, 7, expiry, null, null));
                if (pbx) {
                    // the PBX renews only five days after expiry: every floor, then EXPIRED
                    tailFrom = expiry.plus(days(5));
                    c.add(ScriptEvent.resolved(expiry.minus(days(1)), ScriptEvent.Alert.EXPIRING, 7, expiry, null));
                    c.add(ScriptEvent.firing(expiry.minus(days(1)), ScriptEvent.Alert.EXPIRING, 1, expiry, null, null));
                    c.add(ScriptEvent.resolved(expiry, ScriptEvent.Alert.EXPIRING, 1, expiry, null));
                    c.add(ScriptEvent.firing(expiry, ScriptEvent.Alert.EXPIRED, null, expiry, null, null));
                    c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.EXPIRED, null, expiry, null));
                } else {
                    tailFrom = expiry.minus(days(4));
                    c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.EXPIRING, 7, expiry, null));
                }
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.RENEWAL_OVERDUE, null, expiry, null));
            }
            case RENEWAL_FAILS -> {
                expiry = s.plus(days(80));
                head.add(new Generation(0, b.sourceId(), expiry.minus(lifetime), expiry, b.sans(), null));
                Instant firstFailure = expiry.minus(days(30)).plus(Duration.ofHours(12));
                for (int i = 0; i < 6; i++) {
                    failures.add(firstFailure.plus(days(i)));
                }
                tailFrom = firstFailure.plus(days(6));
                Instant due = pbx ? firstSightDue(expiry) : expiry.minus(days(30));
                c.add(new ScriptEvent(due, ScriptEvent.Type.RENEWAL_DUE, null, expiry));
                c.add(ScriptEvent.firing(firstFailure, ScriptEvent.Alert.RENEWAL_FAILED, null, expiry, null, null));
                c.add(ScriptEvent.firing(due.plus(ScriptEvent.GRACE), ScriptEvent.Alert.RENEWAL_OVERDUE,
                        null, expiry, null, null));
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.RENEWAL_FAILED, null, expiry, null));
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.RENEWAL_OVERDUE, null, expiry, null));
            }
            case RENEWED_NOT_DEPLOYED -> {
                expiry = s.plus(days(60));
                Instant renewal = expiry.minus(days(30)).plus(Duration.ofHours(12));
                head.add(new Generation(0, b.sourceId(), expiry.minus(lifetime), expiry, b.sans(), null));
                if (renewedHolder == null) {
                    tailFrom = renewal; // the smoxy side renews on schedule and concludes nothing
                } else {
                    // the PBX copy (common name only, as Yeastar's issue_to gives it) is updated ten days later, deleted at S+80d
                    Instant deployed = s.plus(days(40));
                    head.set(0, new Generation(0, b.sourceId(), expiry.minus(lifetime), expiry, List.of(b.domain()), null));
                    head.add(new Generation(1, b.sourceId(), deployed, renewedHolder.generationAt(renewal).notAfter(),
                            List.of(b.domain()), null));
                    removed = s.plus(days(80));
                    c.add(new ScriptEvent(expiry.minus(days(30)), ScriptEvent.Type.RENEWAL_DUE, null, expiry));
                    // the renewed one must have been held elsewhere for the deploy grace before the copy counts as not deployed
                    c.add(ScriptEvent.firing(renewal.plus(ScriptEvent.DEPLOY_GRACE), ScriptEvent.Alert.RENEWED_NOT_DEPLOYED, null, expiry,
                            renewedHolder.key(), "renewed by " + renewedHolder.key() + ", this copy still expires at " + expiry));
                    c.add(ScriptEvent.firing(expiry.minus(days(30)).plus(ScriptEvent.GRACE), ScriptEvent.Alert.RENEWAL_OVERDUE,
                            null, expiry, null, null));
                    c.add(ScriptEvent.resolved(deployed, ScriptEvent.Alert.RENEWED_NOT_DEPLOYED, null, expiry, renewedHolder.key()));
                    c.add(ScriptEvent.resolved(deployed, ScriptEvent.Alert.RENEWAL_OVERDUE, null, expiry, null));
                }
            }
            case SAN_DROPPED -> {
                expiry = s.plus(days(40));
                Instant renewal = expiry.minus(days(30)).plus(Duration.ofHours(12));
                Instant renewedExpiry = renewal.plus(lifetime);
                head.add(new Generation(0, b.sourceId(), expiry.minus(lifetime), expiry, b.sans(), null));
                head.add(new Generation(1, b.sourceId(), renewal, renewedExpiry, List.of(b.domain()), null));
                tailFrom = renewedExpiry.minus(days(30)).plus(Duration.ofHours(12));
                c.add(ScriptEvent.firing(renewal, ScriptEvent.Alert.RENEWAL_DRIFT, null, renewedExpiry, null,
                        "dropped SAN www." + b.domain()));
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.RENEWAL_DRIFT, null, renewedExpiry, null));
            }
            case SUPERSEDED -> {
                expiry = b.format().representable(s.plus(days(40)), unit.zone());
                tailFrom = s.plus(days(36));
                head.add(new Generation(0, b.sourceId(), s.plus(days(40)).minus(lifetime), expiry, b.sans(), s.plus(days(45))));
                overdue(c, expiry, expiry.minus(days(30)));
                c.add(ScriptEvent.firing(expiry.minus(days(7)), ScriptEvent.Alert.EXPIRING, 7, expiry, null, null));
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.RENEWAL_OVERDUE, null, expiry, null));
                c.add(ScriptEvent.resolved(tailFrom, ScriptEvent.Alert.EXPIRING, 7, expiry, null));
            }
            default -> throw new IllegalArgumentException("not a year script: " + script);
        }
        Cycle tail = tailFrom == null ? null : cycle(unit, j, mode, lifetime, head.size(), tailFrom.getEpochSecond(), b);
        if (script == Script.SUPERSEDED) {
            String replacement = tail.generation(0).sourceId();
            for (int i = 0; i < c.size(); i++) {
                ScriptEvent e = c.get(i);
                if (e.type() == ScriptEvent.Type.RESOLVED) {
                    c.set(i, new ScriptEvent(e.at(), e.type(), e.days(), e.expiry(), e.alert(), FleetCertificate.keyOf(unit, replacement),
                            "superseded by " + FleetCertificate.keyOf(unit, replacement)));
                }
            }
        }
        return certificate(unit, j, script, mode, lifetime, b, ExpiryStatus.MISSING, null, null, removed, head, tail,
                failures, c);
    }

    /** DUE at {@code due}, RENEWAL_OVERDUE a grace later. */
    private static void overdue(List<ScriptEvent> c, Instant expiry, Instant due) {
        c.add(new ScriptEvent(due, ScriptEvent.Type.RENEWAL_DUE, null, expiry));
        c.add(ScriptEvent.firing(due.plus(ScriptEvent.GRACE), ScriptEvent.Alert.RENEWAL_OVERDUE, null, expiry, null, null));
    }

    /**
     * When the renewal policy expects a Yeastar {@code apply} certificate to be renewed whose issuance it cannot
     * know (Yeastar gives none): a third of the time from first sight (the fleet start: the one-JVM stack holds
     * the clock there until the first polls are done) to expiry, at most 30 days before expiry. That is later
     * than the true point for a certificate seen after its issuance, never earlier.
     */
    Instant firstSightDue(Instant expiry) {
        Duration seen = Duration.between(start, expiry);
        Duration lead = seen.compareTo(days(10)) < 0 ? seen.dividedBy(2) : seen.dividedBy(3);
        return expiry.minus(lead.compareTo(days(30)) < 0 ? lead : days(30));
    }

    private static Duration days(long n) {
        return Duration.ofDays(n);
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
