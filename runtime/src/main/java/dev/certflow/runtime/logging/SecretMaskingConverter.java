package dev.certflow.runtime.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.certflow.runtime.config.SecretRegistry;

/**
 * Logback {@code %maskedMsg}: the formatted message with every secret this process has read
 * replaced by {@code ******}. Defence in depth only; code must not log secrets in the first place.
 */
public class SecretMaskingConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return SecretRegistry.mask(super.convert(event));
    }
}
