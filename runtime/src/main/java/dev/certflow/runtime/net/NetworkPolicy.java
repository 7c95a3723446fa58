package dev.certflow.runtime.net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses one source or channel may connect to. By default only public addresses: every
 * {@link Kind non-public} range is refused. {@code allowPrivateNetworks} opens the private,
 * loopback, link-local and carrier-grade NAT ranges (never cloud metadata); {@code allowedNetworks}
 * opens exactly the networks it lists, metadata and reserved ranges included when listed.
 * Unspecified, multicast and broadcast addresses are refused whatever is allowed. IPv6 forms that
 * carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address they carry.
 */
public final class NetworkPolicy {
    /** What an address is. */
    public enum Kind {
        PUBLIC, LOOPBACK, PRIVATE, LINK_LOCAL, CARRIER_GRADE_NAT, METADATA, RESERVED, UNSPECIFIED, MULTICAST, BROADCAST;

        boolean privateNetwork() {
            return this == LOOPBACK || this == PRIVATE || this == LINK_LOCAL || this == CARRIER_GRADE_NAT;
        }

        boolean neverAllowed() {
            return this == UNSPECIFIED || this == MULTICAST || this == BROADCAST;
        }
    }

    /** The kind of an address and the range that gave it ({@code range} is null for public addresses). */
    public record Classification(Kind kind, String range, String what) {
        boolean isPublic() {
            return kind == Kind.PUBLIC;
        }
    }

    private record Range(Cidr cidr, Kind kind, String what) {
    }

    /** Host names of cloud metadata services, refused before they are looked up. */
    static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata.goog", "metadata",
            "instance-data", "instance-data.ec2.internal");

    // first match wins: the more specific ranges come first
    private static final List<Range> V4 = List.of(
            range("0.0.0.0/32", Kind.UNSPECIFIED, "unspecified"),
            range("0.0.0.0/8", Kind.RESERVED, "'this network' (RFC 791)"),
            range("10.0.0.0/8", Kind.PRIVATE, "private (RFC 1918)"),
            range("100.100.100.200/32", Kind.METADATA, "cloud metadata (Alibaba)"),
            range("100.64.0.0/10", Kind.CARRIER_GRADE_NAT, "carrier-grade NAT (RFC 6598)"),
            range("127.0.0.0/8", Kind.LOOPBACK, "loopback"),
            range("169.254.169.254/32", Kind.METADATA, "cloud metadata (AWS, GCP, Azure, OCI, OpenStack)"),
            range("169.254.170.2/32", Kind.METADATA, "cloud metadata (AWS ECS task)"),
            range("169.254.0.0/16", Kind.LINK_LOCAL, "link-local"),
            range("172.16.0.0/12", Kind.PRIVATE, "private (RFC 1918)"),
            range("192.0.0.0/24", Kind.RESERVED, "IETF protocol assignments (RFC 6890)"),
            range("192.0.2.0/24", Kind.RESERVED, "documentation (TEST-NET-1)"),
            range("192.88.99.0/24", Kind.RESERVED, "6to4 relay anycast (deprecated)"),
            range("192.168.0.0/16", Kind.PRIVATE, "private (RFC 1918)"),
            range("198.18.0.0/15", Kind.RESERVED, "benchmarking (RFC 2544)"),
            range("198.51.100.0/24", Kind.RESERVED, "documentation (TEST-NET-2)"),
            range("203.0.113.0/24", Kind.RESERVED, "documentation (TEST-NET-3)"),
            range("224.0.0.0/4", Kind.MULTICAST, "multicast"),
            range("255.255.255.255/32", Kind.BROADCAST, "broadcast"),
            range("240.0.0.0/4", Kind.RESERVED, "reserved (RFC 1112)"));

    private static final List<Range> V6 = List.of(
            range("::/128", Kind.UNSPECIFIED, "unspecified"),
            range("::1/128", Kind.LOOPBACK, "loopback"),
            range("::/96", Kind.RESERVED, "IPv4-compatible (deprecated)"),
            range("64:ff9b:1::/48", Kind.RESERVED, "local-use NAT64 (RFC 8215)"),
            range("100::/64", Kind.RESERVED, "discard-only (RFC 6666)"),
            range("2001::/32", Kind.RESERVED, "Teredo tunnelling"),
            range("2001:db8::/32", Kind.RESERVED, "documentation"),
            range("2001::/23", Kind.RESERVED, "IETF protocol assignments (RFC 6890)"),
            range("3fff::/20", Kind.RESERVED, "documentation (RFC 9637)"),
            range("fd00:ec2::254/128", Kind.METADATA, "cloud metadata (AWS, IPv6)"),
            range("fc00::/7", Kind.PRIVATE, "unique local (RFC 4193)"),
            range("fe80::/10", Kind.LINK_LOCAL, "link-local"),
            range("fec0::/10", Kind.PRIVATE, "site-local (deprecated)"),
            range("ff00::/8", Kind.MULTICAST, "multicast"));
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");
    private static final Cidr GLOBAL_UNICAST = Cidr.parse("2000::/3");

    /** Public addresses only: the default of every source and channel. */
    public static final NetworkPolicy PUBLIC_ONLY = new NetworkPolicy(false, List.of());

    private final boolean allowPrivateNetworks;
    private final List<Cidr> allowedNetworks;

    private NetworkPolicy(boolean allowPrivateNetworks, List<Cidr> allowedNetworks) {
        this.allowPrivateNetworks = allowPrivateNetworks;
        this.allowedNetworks = List.copyOf(allowedNetworks);
    }

    /**
     * @param allowedNetworks CIDR networks or single addresses; null is none
     * @throws IllegalArgumentException naming the entry (by index) that is not a network
     */
    public static NetworkPolicy of(boolean allowPrivateNetworks, List<String> allowedNetworks) {
        List<Cidr> nets = new ArrayList<>();
        if (allowedNetworks != null) {
            for (int i = 0; i < allowedNetworks.size(); i++) {
                try {
                    nets.add(Cidr.parse(allowedNetworks.get(i)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("[" + i + "] '" + allowedNetworks.get(i) + "': " + e.getMessage());
                }
            }
        }
        return nets.isEmpty() && !allowPrivateNetworks ? PUBLIC_ONLY : new NetworkPolicy(allowPrivateNetworks, nets);
    }

    /** Loopback only besides public addresses: what {@code certflow local} and tests use for their in-JVM peers. */
    public static NetworkPolicy loopback() {
        return of(false, List.of("127.0.0.0/8", "::1/128"));
    }

    private static Range range(String cidr, Kind kind, String what) {
        return new Range(Cidr.parse(cidr), kind, what);
    }

    /** What {@code address} is, by the first range of the IANA special-purpose registries that holds it. */
    public static Classification classify(InetAddress address) {
        return classify(address.getAddress());
    }

    static Classification classify(byte[] raw) {
        if (raw.length == 16) {
            if (Cidr.isMapped(raw)) {
                return embedded("IPv4-mapped", raw, 12);
            }
            if (NAT64.contains(raw)) {
                return embedded("NAT64", raw, 12);
            }
            if (SIX_TO_FOUR.contains(raw)) {
                return embedded("6to4", raw, 2);
            }
        }
        for (Range r : raw.length == 4 ? V4 : V6) {
            if (r.cidr.contains(raw)) {
                return new Classification(r.kind, r.cidr.text(), r.what);
            }
        }
        if (raw.length == 16 && !GLOBAL_UNICAST.contains(raw)) {
            return new Classification(Kind.RESERVED, "outside 2000::/3", "not IPv6 global unicast");
        }
        return new Classification(Kind.PUBLIC, null, "public");
    }

    private static Classification embedded(String form, byte[] raw, int offset) {
        byte[] v4 = new byte[]{raw[offset], raw[offset + 1], raw[offset + 2], raw[offset + 3]};
        Classification inner = classify(v4);
        return inner.isPublic() ? inner : new Classification(inner.kind, inner.range, form + " form of " + inner.what);
    }

    /** Why a connection to {@code address} is refused, or empty when it is allowed. */
    public Optional<String> refusal(InetAddress address) {
        Classification c = classify(address);
        if (c.isPublic()) {
            return Optional.empty();
        }
        String is = address.getHostAddress() + " is " + c.what + " (" + c.range + ")";
        if (c.kind.neverAllowed()) {
            return Optional.of(is + ", which is never connected to");
        }
        if (allowedNetworks.stream().anyMatch(n -> n.contains(address))) {
            return Optional.empty();
        }
        if (allowPrivateNetworks && c.kind.privateNetwork()) {
            return Optional.empty();
        }
        return Optional.of(is + (c.kind == Kind.METADATA || c.kind == Kind.RESERVED
                ? "; only an allowedNetworks entry holding it allows it"
                : "; allowPrivateNetworks: true or an allowedNetworks entry holding it allows it"));
    }

    /** Why a host name is refused before it is looked up (cloud metadata names), or empty. */
    public Optional<String> refusal(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (METADATA_NAMES.contains(h)) {
            return Optional.of("'" + host + "' is a cloud metadata service name, which is never connected to");
        }
        return Optional.empty();
    }

    public boolean allowPrivateNetworks() {
        return allowPrivateNetworks;
    }

    public List<Cidr> allowedNetworks() {
        return allowedNetworks;
    }

    @Override
    public String toString() {
        return "NetworkPolicy[allowPrivateNetworks=" + allowPrivateNetworks + ", allowedNetworks=" + allowedNetworks + "]";
    }
}
