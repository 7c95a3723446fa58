package dev.certflow.schemas;

import dev.certflow.events.SourceKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateKeysTest {

    @Test
    void formatIsTheDocumentedReadableForm() {
        var key = CertificateKeys.of(SourceKind.YEASTAR, "pbx-berlin", "pbx-berlin", "3");
        assertThat(CertificateKeys.format(key)).isEqualTo("yeastar/pbx-berlin/pbx-berlin/3");
    }

    @Test
    void missingTenantIsADash() {
        var key = CertificateKeys.of(SourceKind.LEEGALITY, "esign", null, "46d4e120-ed03-47cc-98c6-529bff3bbabc");
        assertThat(CertificateKeys.format(key)).isEqualTo("leegality/esign/-/46d4e120-ed03-47cc-98c6-529bff3bbabc");
        assertThat(CertificateKeys.parse(CertificateKeys.format(key))).isEqualTo(key);
    }

    @Test
    void separatorsAndSpecialCharactersRoundTrip() {
        var key = CertificateKeys.of(SourceKind.SMOXY, "acme/eu prod", "-", "a+b%c/d é");
        String text = CertificateKeys.format(key);
        assertThat(text).isEqualTo("smoxy/acme%2Feu%20prod/%2D/a%2Bb%25c%2Fd%20%C3%A9");
        assertThat(CertificateKeys.parse(text)).isEqualTo(key);
    }

    @Test
    void unreservedPartsAreKeptAsTheyAreAndEveryOtherPartIsPercentEncodedAsBefore() {
        // the fast path for unreserved parts must give what the URLEncoder path gives for every string
        java.util.Random random = new java.util.Random(15);
        String alphabet = "abzAZ09-._~ +*%/é\u00e9\u4e2d!'()";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(6);
            for (int i = 0; i < len; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String part = sb.toString();
            String viaUrlEncoder = java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8)
                    .replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
            assertThat(CertificateKeys.encode(part)).as("'%s'", part).isEqualTo("-".equals(viaUrlEncoder) ? "%2D" : viaUrlEncoder);
            assertThat(CertificateKeys.decode(CertificateKeys.encode(part))).isEqualTo(part);
        }
        assertThat(CertificateKeys.encode("host-7.example_com~1")).isEqualTo("host-7.example_com~1");
        assertThat(CertificateKeys.encode("-")).isEqualTo("%2D");
        assertThat(CertificateKeys.encode("")).isEmpty();
    }

    @Test
    void badKeysNameTheValue() {
        assertThatThrownBy(() -> CertificateKeys.parse("yeastar/pbx/3"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'yeastar/pbx/3'");
        assertThatThrownBy(() -> CertificateKeys.parse("ftp/a/b/c"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown source kind 'ftp'");
    }
}
