package dev.certflow.runtime.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.certflow.runtime.config.SecretRegistry;

/** Logback {@code %maskedEx}: stack traces with every known secret masked. */
public class SecretMaskingThrowableConverter extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(ch.qos.logback.classic.spi.IThrowableProxy tp) {
        return SecretRegistry.mask(super.throwableProxyToString(tp));
    }

    @Override
    public String convert(ILoggingEvent event) {
        return super.convert(event);
    }
}
