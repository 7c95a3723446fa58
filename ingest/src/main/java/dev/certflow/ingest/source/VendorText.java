package dev.certflow.ingest.source;

import dev.certflow.runtime.config.Secret;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Text an upstream wrote (an error message, an {@code errmsg}) made fit for a log line or a poll's
 * error message: the source's own credentials taken out, and shortened. Some upstreams echo the
 * request back in their errors, query string, headers and body included, so whatever certflow sent
 * may come back in the text.
 */
public final class VendorText {
    private static final int MIN_SECRET = 4; // shorter values would mask ordinary words

    private VendorText() {
    }

    /**
     * The text with each secret (as sent and URL-encoded) replaced by {@link Secret#MASK}, then cut to
     * {@link Json#shortText}'s length; null secrets are skipped.
     */
    public static String clean(String text, String... secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : secrets) {
            if (secret == null || secret.length() < MIN_SECRET) {
                continue;
            }
            out = out.replace(secret, Secret.MASK);
            String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
            if (!encoded.equals(secret)) {
                out = out.replace(encoded, Secret.MASK);
            }
        }
        return Json.shortText(out);
    }
}
