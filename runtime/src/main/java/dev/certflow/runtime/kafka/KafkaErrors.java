package dev.certflow.runtime.kafka;

import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.security.cert.CertificateException;
import java.util.Locale;

/**
 * Turns a failed connection to the brokers into a message that names the cause (wrong user name or
 * password, an untrusted certificate, a certificate for another host) and the keys to look at.
 * Kafka's own messages never carry the password, and neither do these.
 */
public final class KafkaErrors {
    private KafkaErrors() {
    }

    /** A one-line explanation of {@code e} (or of the authentication failure in its causes). */
    public static String describe(Throwable e, KafkaSettings kafka) {
        String at = "Kafka at " + kafka.bootstrapServers;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SaslAuthenticationException) {
                return at + ": the brokers refused the " + kafka.sasl.mechanism + " login"
                        + (kafka.sasl.username == null ? "" : " of user '" + kafka.sasl.username + "'")
                        + ": wrong user name or password, or the user does not exist (kafka.sasl.username, kafka.sasl.password)";
            }
            if (c instanceof SslAuthenticationException) {
                return at + ": TLS: " + tlsReason(c, kafka);
            }
        }
        Throwable shown = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        return at + ": " + shown.getClass().getSimpleName() + ": " + shown.getMessage();
    }

    private static String tlsReason(Throwable ssl, KafkaSettings kafka) {
        String trust = kafka.tls.trustStore == null ? "the JVM's trust store (set kafka.tls.trustStore)" : "kafka.tls.trustStore " + kafka.tls.trustStore;
        for (Throwable c = ssl; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            if (c instanceof CertificateException && (m.contains("no subject alternative") || m.contains("no name matching"))) {
                return "the broker's certificate is not valid for this host (" + c.getMessage() + ")";
            }
            if (m.contains("pkix path") || m.contains("unable to find valid certification path")) {
                return "the broker's certificate is not trusted by " + trust;
            }
        }
        return "the handshake failed (" + ssl.getMessage() + "); is the listener TLS, and does " + trust + " hold its issuer?";
    }
}
