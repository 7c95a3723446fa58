package dev.certflow.ingest;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.net.NetworkPolicy;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.testkit.TestTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 14 row 11 for ingest: hostile base URLs and certificates are refused naming the source and the reason. */
class OutboundSecurityTest {
    @TempDir
    Path dir;

    private IngestConfig bind(String yaml) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, IngestConfigTest.ENV, List.of()).bind("ingest", IngestConfig.class);
    }

    private static String smoxy(String baseUrl, String extra) {
        return IngestConfigTest.YAML.replace("baseUrl: https://api.smoxy.eu", "baseUrl: " + baseUrl + extra);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:/etc/passwd", "file:///etc/shadow", "jar:file:/tmp/x.jar!/a", "jar:http://h.example/x.jar!/a",
            "ftp://files.example.com/x", "gopher://h:70/x", "ldap://h/x", "data:text/plain,hello", "netdoc:/etc/passwd"})
    void otherSchemesAreRefusedNamingTheSourceAndTheKey(String url) {
        String scheme = url.substring(0, url.indexOf(':'));
        assertThatThrownBy(() -> bind(smoxy(url, "")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("configuration key 'ingest.sources[1].baseUrl'")
                .hasMessageEndingWith("only http and https URLs are fetched, not '" + scheme + ":' (source smoxy-acme)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest", "http://[fd00:ec2::254]/", "http://metadata.google.internal/computeMetadata",
            "http://127.0.0.1:8080", "http://10.1.2.3", "http://[::ffff:192.168.1.1]/", "http://[fe80::1]/", "http://100.64.0.1", "http://0.0.0.0:80",
            "http://169.254.170.2/v2/credentials", "http://100.100.100.200/latest/meta-data", "http://metadata/computeMetadata/v1",
            "http://instance-data/latest", "http://[fd12:3456:789a::1]/", "http://[fc00::1]/", "http://[::1]:8080/", "http://172.16.5.4",
            "http://192.168.1.1", "http://169.254.1.1", "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/"})
    void nonPublicAddressLiteralsAndMetadataNamesAreRefusedAtStart(String url) {
        assertThatThrownBy(() -> bind(smoxy(url, "")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'ingest.sources[1].baseUrl'")
                .hasMessageContaining("(source smoxy-acme)")
                .hasMessageMatching("(?s).*(loopback|private|unique local|link-local|metadata|carrier-grade|unspecified).*");
    }

    @Test
    void allowPrivateNetworksAndAllowedNetworksOpenWhatTheySay() throws Exception {
        assertThat(bind(smoxy("http://10.1.2.3", "\n      allowPrivateNetworks: true")).sources.get(1).networkPolicy()
                .refusal(InetAddress.getByName("10.1.2.3"))).isEmpty();
        assertThat(bind(smoxy("http://127.0.0.1:9000", "\n      allowedNetworks: [127.0.0.0/8]")).sources.get(1).baseUrl)
                .isEqualTo("http://127.0.0.1:9000");
        assertThatThrownBy(() -> bind(smoxy("http://169.254.169.254", "\n      allowPrivateNetworks: true")))
                .hasMessageContaining("cloud metadata").hasMessageContaining("only an allowedNetworks entry");
        assertThatThrownBy(() -> bind(smoxy("https://api.smoxy.eu", "\n      allowedNetworks: [10.0.0.0/8, intranet.example]")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bad value 'intranet.example' for configuration key 'ingest.sources[1].allowedNetworks[1]'")
                .hasMessageContaining("no host names").hasMessageContaining("(source smoxy-acme)");
    }

    @Test
    void credentialsInTheUrlAreRefusedWithoutQuotingThem() {
        assertThatThrownBy(() -> bind(smoxy("https://admin:HUNTER2@api.smoxy.eu", "")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("credentials in the URL are not accepted")
                .hasMessageContaining("'https://api.smoxy.eu'")
                .message().doesNotContain("HUNTER2").doesNotContain("admin");
    }

    private static HttpFetcher fetcher(OutboundHttp client, TestSupport.RecordingSleeper sleeper) {
        return new HttpFetcher(source -> client, 3, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30), sleeper,
                Clock.systemUTC());
    }

    @Test
    void aNameResolvingToARefusedAddressFailsThePollAtOnceNamingTheSource() throws Exception {
        var sleeper = new TestSupport.RecordingSleeper();
        OutboundHttp.Resolver toMetadata = host -> new InetAddress[]{InetAddress.getByName("169.254.169.254")};
        try (OutboundHttp client = OutboundHttp.builder("source esign-hr", NetworkPolicy.PUBLIC_ONLY).resolver(toMetadata).build()) {
            var request = HttpFetcher.request(URI.create("https://leegality.example/api/v1/x?token=SECRETQ"), Duration.ofSeconds(2), Map.of()).GET().build();
            assertThatThrownBy(() -> fetcher(client, sleeper).send("esign-hr", request))
                    .isInstanceOf(SourceException.class)
                    .hasMessage("source esign-hr: GET https://leegality.example/api/v1/x: source esign-hr: refused to connect to leegality.example:"
                            + " 169.254.169.254 is cloud metadata (AWS, GCP, Azure, OCI, OpenStack) (169.254.169.254/32);"
                            + " only an allowedNetworks entry holding it allows it")
                    .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.BLOCKED_ADDRESS));
        }
        assertThat(sleeper.waits).as("never retried").isEmpty();
    }

    @Test
    void aNameResolvingToAPrivateOrUniqueLocalAddressFailsThePollAtOnceNamingTheSource() throws Exception {
        for (String address : List.of("10.20.30.40", "fd00:1234::5", "192.168.7.7")) {
            var sleeper = new TestSupport.RecordingSleeper();
            OutboundHttp.Resolver toPrivate = host -> new InetAddress[]{InetAddress.getByName(address)};
            try (OutboundHttp client = OutboundHttp.builder("source pbx-hq", NetworkPolicy.PUBLIC_ONLY).resolver(toPrivate).build()) {
                var request = HttpFetcher.request(URI.create("https://pbx.example.com/openapi/v1.0/get_token"), Duration.ofSeconds(2), Map.of()).GET().build();
                assertThatThrownBy(() -> fetcher(client, sleeper).send("pbx-hq", request))
                        .isInstanceOf(SourceException.class)
                        .hasMessageStartingWith("source pbx-hq: GET https://pbx.example.com/openapi/v1.0/get_token: source pbx-hq: refused to connect to pbx.example.com: ")
                        .hasMessageContaining(" is " + (address.contains(":") ? "unique local (RFC 4193)" : "private (RFC 1918)"))
                        .hasMessageEndingWith("allowPrivateNetworks: true or an allowedNetworks entry holding it allows it")
                        .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.BLOCKED_ADDRESS));
            }
            assertThat(sleeper.waits).as("never retried").isEmpty();
        }
    }

    @Test
    void aSelfSignedCertificateFailsNamingTheSourceAndTheReason() throws Exception {
        var sleeper = new TestSupport.RecordingSleeper();
        try (TestTls tls = TestTls.start("localhost");
             OutboundHttp client = OutboundHttp.builder("source pbx", NetworkPolicy.loopback()).build()) {
            var request = HttpFetcher.request(URI.create(tls.url("localhost") + "/openapi/v1.0/get_token"), Duration.ofSeconds(5), Map.of()).GET().build();
            assertThatThrownBy(() -> fetcher(client, sleeper).send("pbx-berlin", request))
                    .isInstanceOf(SourceException.class)
                    .hasMessageStartingWith("source pbx-berlin: GET https://localhost:")
                    .hasMessageEndingWith("TLS: the server's certificate is not trusted (self-signed or unknown issuer)")
                    .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.TLS));
            assertThat(tls.requests()).isZero();
        }
        assertThat(sleeper.waits).as("a rejected certificate is not retried").isEmpty();
    }

    @Test
    void aTrustedCertificateForAnotherHostFailsOnHostNameVerification() throws Exception {
        var sleeper = new TestSupport.RecordingSleeper();
        try (TestTls wrongHost = TestTls.start("pbx.other.example");
             TestTls rightHost = TestTls.start("localhost");
             OutboundHttp trustsWrong = OutboundHttp.builder("source pbx", NetworkPolicy.loopback()).sslContext(wrongHost.trustingContext()).build();
             OutboundHttp trustsRight = OutboundHttp.builder("source pbx", NetworkPolicy.loopback()).sslContext(rightHost.trustingContext()).build()) {
            var wrong = HttpFetcher.request(URI.create(wrongHost.url("localhost") + "/x"), Duration.ofSeconds(5), Map.of()).GET().build();
            assertThatThrownBy(() -> fetcher(trustsWrong, sleeper).send("pbx-berlin", wrong))
                    .isInstanceOf(SourceException.class)
                    .hasMessageStartingWith("source pbx-berlin: GET https://localhost:")
                    .hasMessageContaining("TLS: the server's certificate is not valid for this host")
                    .hasMessageContaining("matching localhost");
            assertThat(wrongHost.requests()).isZero();
            // the same client setup with a certificate for the host: verification is on, not broken
            var right = HttpFetcher.request(URI.create(rightHost.url("localhost") + "/x"), Duration.ofSeconds(5), Map.of()).GET().build();
            try (var r = fetcher(trustsRight, sleeper).send("pbx-berlin", right)) {
                assertThat(r.status()).isEqualTo(200);
            }
        }
    }
}
