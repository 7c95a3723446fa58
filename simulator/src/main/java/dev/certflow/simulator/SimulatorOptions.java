package dev.certflow.simulator;

import java.time.Duration;
import java.time.Instant;

/**
 * Options of a simulator run. Public fields with defaults, plus fluent setters.
 *
 * <p>Defaults: the {@link Profile#DAY} fleet, seed 42, 300 certificates, speed 1 (real time), start = now (whole seconds),
 * 127.0.0.1 on a free port, Yeastar tokens 1800 s / refresh 86400 s (real seconds), the scripted PBX
 * outage on, every random fault off.
 */
public final class SimulatorOptions {
    /** Everything variable in the fleet is drawn from it. */
    public long seed = 42;
    /** Number of certificates (up to 1,000,000 for benchmarks; generated lazily). */
    public int size = 300;
    /** Simulated seconds per real second (1440 = a day per minute). */
    public double speed = 1.0;
    /** Simulated start instant; null = now. */
    public Instant start;
    /** A ready clock (tests drive one by hand); overrides {@link #start} and {@link #speed}. */
    public SimClock clock;
    /** Address to bind; loopback by default. */
    public String host = "127.0.0.1";
    /** Port to bind; 0 = any free port. */
    public int port = 0;
    /** Lifetime of a Yeastar access token, in real time (the value announced in {@code access_token_expire_time}). */
    public Duration tokenTtl = Duration.ofSeconds(1800);
    /** Lifetime of a Yeastar refresh token, in real time. */
    public Duration refreshTokenTtl = Duration.ofSeconds(86400);
    /** Whether the scripted PBX outage happens. */
    public boolean pbxOutage = true;
    /** Share of requests answered 429 with {@code Retry-After}. */
    public double tooManyRequestsRate;
    /** Share of requests answered 500 with the source's error body. */
    public double serverErrorRate;
    /** Share of requests answered 502 with an HTML page. */
    public double htmlErrorRate;
    /** Share of requests delayed by {@link #slowDelay}. */
    public double slowRate;
    /**
     * Share of requests answered with the vendor's refusal of the credentials (Leegality and smoxy 401,
     * Yeastar's token or login errcode), as when a token is revoked and restored.
     */
    public double authErrorRate;
    /**
     * Error bodies (injected faults and refusals) echo what the request sent: its query, its credential
     * headers and its body, as some upstreams do. Tests use it to check that no credential comes back out.
     */
    public boolean echoRequests;
    /** Delay of a slow response, in real time. */
    public Duration slowDelay = Duration.ofSeconds(2);
    /** Share of listing pages after the first (smoxy, Yeastar) answered with the page before them: a page served twice. */
    public double repeatPageRate;
    /**
     * Share of listings (a smoxy or Yeastar first page, a Leegality request) that leave about a tenth of their
     * certificates out, on every page of that listing and only of that one (the next listing is whole again).
     */
    public double shrinkRate;
    /** Share of smoxy attempts listings answered shuffled, with one attempt twice, or without their oldest attempt. */
    public double attemptDisorderRate;
    /** Seconds announced in {@code Retry-After}. */
    public int retryAfterSeconds = 1;
    /** One credential for every source instead of generated ones (see {@link Fleet}); null = generated. */
    public String credential;
    /** Request-handling threads (slow responses hold one each). */
    public int threads = 8;
    /** Which scripted certificates the fleet holds: the scripted day (default) or the renewal year. */
    public Profile profile = Profile.DAY;

    public SimulatorOptions seed(long value) {
        this.seed = value;
        return this;
    }

    public SimulatorOptions size(int value) {
        this.size = value;
        return this;
    }

    public SimulatorOptions speed(double value) {
        this.speed = value;
        return this;
    }

    public SimulatorOptions start(Instant value) {
        this.start = value;
        return this;
    }

    public SimulatorOptions clock(SimClock value) {
        this.clock = value;
        return this;
    }

    public SimulatorOptions port(int value) {
        this.port = value;
        return this;
    }

    public SimulatorOptions tokenTtl(Duration value) {
        this.tokenTtl = value;
        return this;
    }

    public SimulatorOptions refreshTokenTtl(Duration value) {
        this.refreshTokenTtl = value;
        return this;
    }

    public SimulatorOptions pbxOutage(boolean value) {
        this.pbxOutage = value;
        return this;
    }

    /** Sets the random fault rates (each 0..1; their sum at most 1). */
    public SimulatorOptions faults(double tooManyRequests, double serverError, double htmlError, double slow) {
        this.tooManyRequestsRate = tooManyRequests;
        this.serverErrorRate = serverError;
        this.htmlErrorRate = htmlError;
        this.slowRate = slow;
        return this;
    }

    /** Sets {@link #authErrorRate}. */
    public SimulatorOptions authErrors(double rate) {
        this.authErrorRate = rate;
        return this;
    }

    /** Sets {@link #echoRequests}. */
    public SimulatorOptions echoRequests(boolean value) {
        this.echoRequests = value;
        return this;
    }

    /** Sets {@link #credential}. */
    public SimulatorOptions credential(String value) {
        this.credential = value;
        return this;
    }

    /** Sets the disorder rates of upstream data (each 0..1): pages served twice, shrinking listings, disordered attempts. */
    public SimulatorOptions disorder(double repeatPage, double shrink, double attempts) {
        this.repeatPageRate = repeatPage;
        this.shrinkRate = shrink;
        this.attemptDisorderRate = attempts;
        return this;
    }

    public SimulatorOptions profile(Profile value) {
        this.profile = value;
        return this;
    }

    public SimulatorOptions slowDelay(Duration value) {
        this.slowDelay = value;
        return this;
    }

    /** A copy of these options (the clock, if any, is shared). */
    public SimulatorOptions copy() {
        SimulatorOptions o = new SimulatorOptions();
        o.seed = seed;
        o.size = size;
        o.speed = speed;
        o.start = start;
        o.clock = clock;
        o.host = host;
        o.port = port;
        o.tokenTtl = tokenTtl;
        o.refreshTokenTtl = refreshTokenTtl;
        o.pbxOutage = pbxOutage;
        o.tooManyRequestsRate = tooManyRequestsRate;
        o.serverErrorRate = serverErrorRate;
        o.htmlErrorRate = htmlErrorRate;
        o.slowRate = slowRate;
        o.authErrorRate = authErrorRate;
        o.echoRequests = echoRequests;
        o.slowDelay = slowDelay;
        o.repeatPageRate = repeatPageRate;
        o.shrinkRate = shrinkRate;
        o.attemptDisorderRate = attemptDisorderRate;
        o.retryAfterSeconds = retryAfterSeconds;
        o.credential = credential;
        o.threads = threads;
        o.profile = profile;
        return o;
    }

    static void rate(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be within 0..1, got " + value);
        }
    }

    void validate() {
        if (size < 1 || size > 100_000_000) {
            throw new IllegalArgumentException("size must be between 1 and 100000000, was " + size);
        }
        double sum = tooManyRequestsRate + serverErrorRate + htmlErrorRate + authErrorRate;
        for (double r : new double[]{tooManyRequestsRate, serverErrorRate, htmlErrorRate, slowRate, authErrorRate}) {
            if (r < 0 || r > 1) {
                throw new IllegalArgumentException("fault rates must be within 0..1, got " + r);
            }
        }
        rate("repeatPageRate", repeatPageRate);
        rate("shrinkRate", shrinkRate);
        rate("attemptDisorderRate", attemptDisorderRate);
        if (sum > 1) {
            throw new IllegalArgumentException("429 + 500 + HTML + auth error rates must not exceed 1, got " + sum);
        }
        if (tokenTtl.isNegative() || tokenTtl.isZero() || refreshTokenTtl.isNegative() || refreshTokenTtl.isZero()) {
            throw new IllegalArgumentException("token lifetimes must be positive");
        }
        if (profile == null) {
            throw new IllegalArgumentException("profile must be one of day, year");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
    }
}
