package dev.certflow.simulator;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

/**
 * The periodic part of a certificate's life, computed and never stored: generation {@code first + m}
 * is issued at {@code t0} ({@code m = 0}) or at the renewal of the one before, and renewed at
 * {@code t0 + (m + 1) * period + jitter(m)}, with {@code jitter(m)} drawn from the seed in
 * {@code [0, jitter)}. Because the jitter of one renewal never moves the next one's nominal point,
 * the generation in force at any instant is found with one division, whatever the instant.
 * {@code period = lifetime - renewBefore + jitter}, so the lifetime left at every renewal lies in
 * {@code (renewBefore - 2 jitter, renewBefore)}.
 *
 * @param first     number of the first generation of the cycle
 * @param t0        issuance of that generation, epoch seconds
 * @param lifetime  lifetime of every generation, seconds
 * @param period    nominal seconds between renewals
 * @param jitter    exclusive bound of the per-renewal delay, seconds
 * @param seed      what the delays (and new ids) are drawn from
 * @param ids       how generation ids are made: null = every generation keeps {@code fixedId}
 * @param fixedId   the source id of every generation when {@code ids} is null
 * @param overlap   seconds a replaced generation stays listed after its successor's issuance (new ids only)
 * @param sans      the names of every generation
 * @param format    Leegality only: the expiry form, whose precision may move the expiry later; else null
 * @param zone      the source zone {@code format} is written in
 */
public record Cycle(int first, long t0, long lifetime, long period, long jitter, long seed, IdScheme ids, String fixedId,
                    long overlap, List<String> sans, ExpiryFormat format, ZoneId zone) {

    public Cycle {
        sans = List.copyOf(sans);
        if (period <= jitter || jitter <= 0) {
            throw new IllegalArgumentException("period " + period + " must exceed jitter " + jitter + " > 0");
        }
    }

    /** Instant (epoch seconds) at which relative generation {@code m} is replaced by the next. */
    long renewalAt(long m) {
        return t0 + (m + 1) * period + Long.remainderUnsigned(Fleet.mix(seed + m), jitter);
    }

    long issuedAt(long m) {
        return m == 0 ? t0 : renewalAt(m - 1);
    }

    /** The relative generation in force at {@code t} (the first one before {@code t0}). */
    long relativeAt(long t) {
        if (t < t0) {
            return 0;
        }
        long k = (t - t0) / period;
        return k >= 1 && t < renewalAt(k - 1) ? k - 1 : k;
    }

    Generation generation(long m) {
        int number = Math.toIntExact(first + m);
        Instant issued = Instant.ofEpochSecond(issuedAt(m));
        Instant notAfter = issued.plusSeconds(lifetime);
        if (format != null) {
            notAfter = format.representable(notAfter, zone);
        }
        String id = ids == null ? fixedId : ids.id(number);
        Instant listedUntil = ids == null ? null : Instant.ofEpochSecond(renewalAt(m) + overlap);
        return new Generation(number, id, issued, notAfter, sans, listedUntil);
    }

    Generation generationAt(Instant t) {
        return generation(relativeAt(t.getEpochSecond()));
    }

    /**
     * Ids of a certificate that gets a new id per generation: version-4-shaped UUIDs whose low 32 bits
     * carry the masked fleet index and bits 32..47 the masked generation number, so an id is traced back
     * to its certificate and generation without a table. Generation 0 keeps the fleet's plain id.
     *
     * @param h1          first hash of the certificate
     * @param h2          second hash of the certificate
     * @param maskedIndex the certificate's index, masked per unit
     */
    public record IdScheme(long h1, long h2, int maskedIndex) {
        private static final int GENERATION_MASK = 0x5A5A;

        public String id(int generation) {
            if (generation == 0) {
                return Fleet.uuid(h1, h2, maskedIndex).toString();
            }
            long a = Fleet.mix(h1 + 0x9E3779B97F4A7C15L * generation);
            long b = (Fleet.mix(h2 + generation) & ~0xFFFFL) | ((generation ^ GENERATION_MASK) & 0xFFFF);
            return Fleet.uuid(a, b, maskedIndex).toString();
        }

        /** The generation an id of this scheme names (its id must still be compared: the bits may be chance). */
        static int generationOf(java.util.UUID id) {
            return (int) ((id.getLeastSignificantBits() >>> 32) & 0xFFFF) ^ GENERATION_MASK;
        }
    }
}
