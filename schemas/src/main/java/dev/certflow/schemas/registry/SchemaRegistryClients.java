package dev.certflow.schemas.registry;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes a {@link SchemaRegistryClient} from Confluent-style settings:
 * {@code schema.registry.url} ({@code mock://scope} or {@code http(s)://host:port[,...]}),
 * {@code basic.auth.credentials.source=USER_INFO} with {@code basic.auth.user.info=user:password},
 * {@code schema.registry.ssl.truststore.location|password|type},
 * {@code schema.registry.ssl.keystore.location|password|type} and
 * {@code schema.registry.request.timeout.ms}. Clients are shared per URL and credentials, so
 * every serde in a process shares one cache.
 */
public final class SchemaRegistryClients {
    public static final String URL = "schema.registry.url";
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String TIMEOUT_MS = "schema.registry.request.timeout.ms";

    private static final Map<String, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

    private SchemaRegistryClients() {
    }

    public static SchemaRegistryClient fromConfig(Map<String, ?> configs) {
        Object url = configs.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("missing required setting '" + URL + "'");
        }
        String urls = url.toString().trim();
        if (urls.startsWith("mock://")) {
            return MockSchemaRegistry.scope(urls.substring("mock://".length()));
        }
        String userInfo = null;
        Object source = configs.get(CREDENTIALS_SOURCE);
        if (source != null && !"USER_INFO".equalsIgnoreCase(source.toString())) {
            throw new IllegalArgumentException("unsupported " + CREDENTIALS_SOURCE + " '" + source + "': only USER_INFO is supported");
        }
        if (configs.get(USER_INFO) != null) {
            userInfo = configs.get(USER_INFO).toString();
        }
        Duration timeout = Duration.ofMillis(Long.parseLong(String.valueOf(configs.get(TIMEOUT_MS) == null ? "10000" : configs.get(TIMEOUT_MS))));
        SSLContext ssl = sslContext(configs);
        String cacheKey = urls + '|' + (userInfo == null ? 0 : userInfo.hashCode()) + '|' + configs.get(TRUSTSTORE_LOCATION) + '|' + configs.get(KEYSTORE_LOCATION);
        String finalUserInfo = userInfo;
        List<String> list = Arrays.stream(urls.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String u : list) {
            if (!u.startsWith("http://") && !u.startsWith("https://")) {
                throw new IllegalArgumentException("setting '" + URL + "' has an unsupported URL '" + u + "': use http(s):// or mock://");
            }
        }
        return SHARED.computeIfAbsent(cacheKey, k -> new HttpSchemaRegistryClient(list, finalUserInfo, ssl, timeout));
    }

    private static SSLContext sslContext(Map<String, ?> configs) {
        Object trust = configs.get(TRUSTSTORE_LOCATION);
        Object keys = configs.get(KEYSTORE_LOCATION);
        if (trust == null && keys == null) {
            return null;
        }
        try {
            TrustManagerFactory tmf = null;
            if (trust != null) {
                KeyStore ts = load(trust.toString(), configs.get(TRUSTSTORE_PASSWORD), configs.get(TRUSTSTORE_TYPE));
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ts);
            }
            KeyManagerFactory kmf = null;
            if (keys != null) {
                Object password = configs.get(KEYSTORE_PASSWORD);
                KeyStore ks = load(keys.toString(), password, configs.get(KEYSTORE_TYPE));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, password == null ? new char[0] : password.toString().toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            // never echo the password: name only the store location
            throw new IllegalArgumentException("cannot load schema registry TLS stores (" + trust + ", " + keys + "): " + e.getClass().getSimpleName());
        }
    }

    private static KeyStore load(String location, Object password, Object type) throws Exception {
        KeyStore ks = KeyStore.getInstance(type == null ? KeyStore.getDefaultType() : type.toString());
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            ks.load(in, password == null ? null : password.toString().toCharArray());
        }
        return ks;
    }
}
