package dev.certflow.runtime.net;

import java.net.UnknownHostException;

/**
 * A connection the {@link NetworkPolicy} refused. An {@link UnknownHostException} so that the
 * resolver hook may throw it; callers test for this type before treating a failure as a lookup or
 * connect error, and never retry it. The message names the host, the address and the rule, never a
 * path, a query or credentials.
 */
public final class BlockedAddressException extends UnknownHostException {
    public BlockedAddressException(String message) {
        super(message);
    }
}
