package dev.certflow.simulator;

import java.time.Instant;
import java.util.List;

/**
 * One issued certificate in the life of a fleet certificate: the first issuance is number 0, each
 * renewal the next number. Sources that renew in place (smoxy, Yeastar, a replaced Leegality
 * certificate) keep the source id; Leegality renewals ({@link RenewalMode#MANUAL_NEW_ID}) get a new one.
 *
 * @param number      0 for the first issuance, then one per renewal
 * @param sourceId    the source's id of this certificate
 * @param issuedAt    when it was issued, and when it replaced the previous one at the source
 * @param notAfter    its expiry (null when the source gives none)
 * @param sans        the names it is issued for (smoxy {@code sans} and attempts' {@code sansSnapshot})
 * @param listedUntil for a certificate replaced by a new id: when the source stops listing it; else null
 */
public record Generation(int number, String sourceId, Instant issuedAt, Instant notAfter, List<String> sans,
                         Instant listedUntil) {

    public Generation {
        sans = List.copyOf(sans);
    }
}
