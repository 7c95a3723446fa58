package dev.certflow.simulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import java.util.Random;

/**
 * Draws the injected fault of each request from a seeded random sequence: HTTP errors and slowness, and
 * disordered upstream data (a page served twice, a listing that leaves some certificates out for one
 * listing, smoxy attempts out of order, twice or late). A rate of 0 draws nothing, so turning one kind
 * on leaves the sequence of the others as it was.
 */
final class Faults {
    enum Fault { NONE, TOO_MANY_REQUESTS, SERVER_ERROR, HTML_ERROR, AUTH_ERROR }

    /** Share of certificates a shrunk listing leaves out (at least one, never all). */
    static final double SHRINK_SHARE = 0.1;

    private final SimulatorOptions options;
    private final Random random;
    // listing (source and, for Leegality, department) -> certificates (unit << 32 | index) the listing in progress leaves out
    private final Map<String, Set<Long>> omitted = new HashMap<>();
    // listings whose last listing shrank: the next one is whole, so a certificate is never missing twice in a row
    private final Set<String> shrankLast = new HashSet<>();
    // each certificate drops out of one listing at most: "shrinks and grows back", never gone for two listings
    private final Set<Long> everOmitted = new HashSet<>();
    private long repeatedPages;
    private long shrunkListings;
    private long omittedCertificates;
    private long disorderedAttempts;

    Faults(SimulatorOptions options, long seed) {
        this.options = options;
        this.random = new Random(seed ^ 0x5DEECE66DL);
    }

    synchronized Fault next() {
        double r = random.nextDouble();
        if (r < options.tooManyRequestsRate) {
            return Fault.TOO_MANY_REQUESTS;
        }
        r -= options.tooManyRequestsRate;
        if (r < options.serverErrorRate) {
            return Fault.SERVER_ERROR;
        }
        r -= options.serverErrorRate;
        if (r < options.htmlErrorRate) {
            return Fault.HTML_ERROR;
        }
        r -= options.htmlErrorRate;
        return r < options.authErrorRate ? Fault.AUTH_ERROR : Fault.NONE;
    }

    synchronized boolean slow() {
        return options.slowRate > 0 && random.nextDouble() < options.slowRate;
    }

    /** Changes the disorder rates of a running simulator (each 0..1). */
    synchronized void disorder(double repeatPage, double shrink, double attempts) {
        SimulatorOptions.rate("repeatPageRate", repeatPage);
        SimulatorOptions.rate("shrinkRate", shrink);
        SimulatorOptions.rate("attemptDisorderRate", attempts);
        options.repeatPageRate = repeatPage;
        options.shrinkRate = shrink;
        options.attemptDisorderRate = attempts;
    }

    /**
     * A listing starts (a first page, a Leegality request): whether it shrinks, and which of the listed
     * certificates ({@code present}: unit << 32 | index, asked only when it shrinks) it leaves out on
     * every page of this listing. Empty: whole. A certificate is left out of one listing at most, and a
     * listing after a shrunk one is whole, so each comes back at the next listing and stays.
     */
    synchronized Set<Long> beginListing(String listing, Supplier<long[]> present) {
        Set<Long> out = Set.of();
        if (options.shrinkRate > 0 && !shrankLast.remove(listing) && random.nextDouble() < options.shrinkRate) {
            long[] all = present.get();
            if (all.length > 1) {
                Set<Long> left = new HashSet<>();
                List<Long> candidates = new ArrayList<>();
                for (long c : all) {
                    if (!everOmitted.contains(c)) {
                        candidates.add(c);
                    }
                }
                for (long c : candidates) {
                    if (random.nextDouble() < SHRINK_SHARE) {
                        left.add(c);
                    }
                }
                if (left.isEmpty() && !candidates.isEmpty()) {
                    left.add(candidates.get(random.nextInt(candidates.size())));
                }
                if (!left.isEmpty() && left.size() < all.length) {
                    everOmitted.addAll(left);
                    out = Set.copyOf(left);
                    shrankLast.add(listing);
                    shrunkListings++;
                    omittedCertificates += out.size();
                }
            }
        }
        omitted.put(listing, out);
        return out;
    }

    /** What the listing in progress leaves out (a later page of it). */
    synchronized Set<Long> omitted(String listing) {
        return omitted.getOrDefault(listing, Set.of());
    }

    /** Whether a page after the first is answered with the page before it. */
    synchronized boolean repeatPage() {
        boolean repeat = options.repeatPageRate > 0 && random.nextDouble() < options.repeatPageRate;
        if (repeat) {
            repeatedPages++;
        }
        return repeat;
    }

    /**
     * A smoxy attempts listing (newest first) as a disordered upstream may serve it: shuffled, with one
     * attempt twice, or without its oldest attempt (late: the next listing has it again). Unchanged mostly.
     */
    synchronized <T> List<T> disorder(List<T> attempts) {
        if (options.attemptDisorderRate <= 0 || attempts.isEmpty() || random.nextDouble() >= options.attemptDisorderRate) {
            return attempts;
        }
        List<T> out = new ArrayList<>(attempts);
        switch (random.nextInt(3)) {
            case 0 -> {
                if (out.size() < 2) {
                    return attempts;
                }
                Collections.shuffle(out, random);
            }
            case 1 -> out.add(random.nextInt(out.size() + 1), out.get(random.nextInt(out.size())));
            default -> {
                if (out.size() < 2) {
                    return attempts;
                }
                out.remove(out.size() - 1);
            }
        }
        disorderedAttempts++;
        return out;
    }

    synchronized Simulator.Disorder counts() {
        return new Simulator.Disorder(repeatedPages, shrunkListings, omittedCertificates, disorderedAttempts);
    }
}
