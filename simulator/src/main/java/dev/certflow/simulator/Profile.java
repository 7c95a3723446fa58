package dev.certflow.simulator;

import java.time.Duration;

/**
 * Which scripted certificates a fleet holds and how long its story runs. The background (all but the
 * scripted certificates) is the same in both: realistic lifetimes, renewed on schedule ({@link RenewalMode}).
 */
public enum Profile {
    /**
     * The scripted day: thresholds crossed within hours, expired, no expiry, a renewal failing then
     * succeeding, removals and additions, and a PBX outage from +4h to +10h (see {@link Script}).
     */
    DAY(Duration.ofDays(2), Duration.ofHours(4), Duration.ofHours(7), Duration.ofHours(10)),
    /**
     * The renewal year: renewals that stop, fail, are not deployed, drop a SAN or are superseded
     * (see {@link Script}), and a PBX outage from +200d (503) and +215d (connections dropped) to +230d,
     * long enough to be polled at 100,000x. Events are declared up to the horizon, 400 days.
     */
    YEAR(Duration.ofDays(400), Duration.ofDays(200), Duration.ofDays(215), Duration.ofDays(230));

    private final Duration horizon;
    private final Duration outageFrom;
    private final Duration outageDropping;
    private final Duration outageUntil;

    Profile(Duration horizon, Duration outageFrom, Duration outageDropping, Duration outageUntil) {
        this.horizon = horizon;
        this.outageFrom = outageFrom;
        this.outageDropping = outageDropping;
        this.outageUntil = outageUntil;
    }

    /** The profile a command-line value names, ignoring case ({@code day}, {@code year}). */
    public static Profile of(String name) {
        for (Profile p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--profile: '" + name + "' is not a profile; use day or year");
    }

    /** How far after the start {@link FleetCertificate#events()} reach for what repeats (renewals on schedule). */
    public Duration horizon() {
        return horizon;
    }

    Duration outageFrom() {
        return outageFrom;
    }

    Duration outageDropping() {
        return outageDropping;
    }

    Duration outageUntil() {
        return outageUntil;
    }
}
