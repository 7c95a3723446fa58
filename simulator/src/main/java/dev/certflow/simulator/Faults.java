package dev.certflow.simulator;

import java.util.Random;

/** Draws the injected fault of each request from a seeded random sequence. */
final class Faults {
    enum Fault { NONE, TOO_MANY_REQUESTS, SERVER_ERROR, HTML_ERROR, AUTH_ERROR }

    private final SimulatorOptions options;
    private final Random random;

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
}
