package dev.certflow.runtime.net;

import dev.certflow.runtime.net.NetworkPolicy.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetworkPolicyTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            // IPv4
            "0.0.0.0, UNSPECIFIED",
            "0.1.2.3, RESERVED",
            "10.0.0.1, PRIVATE",
            "10.255.255.255, PRIVATE",
            "100.64.0.1, CARRIER_GRADE_NAT",
            "100.127.255.254, CARRIER_GRADE_NAT",
            "100.100.100.200, METADATA",
            "100.128.0.1, PUBLIC",
            "127.0.0.1, LOOPBACK",
            "127.255.255.254, LOOPBACK",
            "169.254.169.254, METADATA",
            "169.254.170.2, METADATA",
            "169.254.1.1, LINK_LOCAL",
            "172.16.0.1, PRIVATE",
            "172.31.255.255, PRIVATE",
            "172.32.0.1, PUBLIC",
            "192.0.0.8, RESERVED",
            "192.0.2.1, RESERVED",
            "192.88.99.1, RESERVED",
            "192.168.1.1, PRIVATE",
            "198.18.0.1, RESERVED",
            "198.51.100.7, RESERVED",
            "203.0.113.9, RESERVED",
            "224.0.0.1, MULTICAST",
            "239.255.255.250, MULTICAST",
            "240.0.0.1, RESERVED",
            "255.255.255.255, BROADCAST",
            "8.8.8.8, PUBLIC",
            "1.1.1.1, PUBLIC",
            "11.0.0.1, PUBLIC",
            // IPv6
            "::, UNSPECIFIED",
            "::1, LOOPBACK",
            "::7f00:1, RESERVED",
            "fc00::1, PRIVATE",
            "fd12:3456::1, PRIVATE",
            "fd00:ec2::254, METADATA",
            "fe80::1, LINK_LOCAL",
            "febf::1, LINK_LOCAL",
            "fec0::1, PRIVATE",
            "ff02::1, MULTICAST",
            "ff05::2, MULTICAST",
            "2001:db8::1, RESERVED",
            "2001::1, RESERVED",
            "2001:10::1, RESERVED",
            "3fff::1, RESERVED",
            "100::1, RESERVED",
            "64:ff9b:1::1, RESERVED",
            "4000::1, RESERVED",
            "2606:4700:4700::1111, PUBLIC",
            "2a00:1450:4001::1, PUBLIC",
            // IPv6 forms carrying IPv4 (NAT64, 6to4) judged by the IPv4 address
            "64:ff9b::7f00:1, LOOPBACK",
            "64:ff9b::a9fe:a9fe, METADATA",
            "64:ff9b::808:808, PUBLIC",
            "2002:a00:1::, PRIVATE",
            "2002:7f00:1::, LOOPBACK",
            "2002:808:808::, PUBLIC",
    })
    void classifiesEveryRange(String address, Kind kind) throws Exception {
        assertThat(NetworkPolicy.classify(InetAddress.getByName(address)).kind()).isEqualTo(kind);
    }

    /** InetAddress.getByName turns ::ffff:a.b.c.d into an Inet4Address; a resolver may still hand over the IPv6 form. */
    @ParameterizedTest(name = "::ffff:{0} is {1}")
    @CsvSource({"127.0.0.1, LOOPBACK", "10.1.2.3, PRIVATE", "169.254.169.254, METADATA", "100.64.1.1, CARRIER_GRADE_NAT",
            "0.0.0.0, UNSPECIFIED", "224.0.0.1, MULTICAST", "192.168.0.1, PRIVATE", "8.8.4.4, PUBLIC"})
    void ipv4MappedIpv6IsJudgedByItsIpv4Address(String v4, Kind kind) throws Exception {
        InetAddress mapped = mapped(v4);
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(NetworkPolicy.classify(mapped).kind()).isEqualTo(kind);
        if (kind != Kind.PUBLIC) {
            assertThat(NetworkPolicy.PUBLIC_ONLY.refusal(mapped)).get().asString().contains("IPv4-mapped");
        }
    }

    @Test
    void publicOnlyRefusesEveryNonPublicAddressAndSaysWhy() throws Exception {
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal(InetAddress.getByName("8.8.8.8"))).isEmpty();
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal(InetAddress.getByName("127.0.0.1"))).get().asString()
                .isEqualTo("127.0.0.1 is loopback (127.0.0.0/8); allowPrivateNetworks: true or an allowedNetworks entry holding it allows it");
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal(InetAddress.getByName("169.254.169.254"))).get().asString()
                .contains("cloud metadata").contains("only an allowedNetworks entry");
    }

    @Test
    void allowPrivateNetworksOpensPrivateRangesButNeverMetadataOrReserved() throws Exception {
        NetworkPolicy p = NetworkPolicy.of(true, List.of());
        for (String a : List.of("10.1.1.1", "172.20.0.1", "192.168.0.10", "127.0.0.1", "::1", "fd00::5", "fe80::1", "169.254.3.3", "100.64.0.9")) {
            assertThat(p.refusal(InetAddress.getByName(a))).as(a).isEmpty();
        }
        for (String a : List.of("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.2.1", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255")) {
            assertThat(p.refusal(InetAddress.getByName(a))).as(a).isPresent();
        }
    }

    @Test
    void allowedNetworksOpenExactlyWhatTheyListExceptUnspecifiedMulticastAndBroadcast() throws Exception {
        NetworkPolicy p = NetworkPolicy.of(false, List.of("10.20.0.0/16", "169.254.169.254", "::1/128", "0.0.0.0/0"));
        assertThat(p.refusal(InetAddress.getByName("10.20.3.4"))).isEmpty();
        assertThat(p.refusal(mapped("10.20.3.4"))).as("the mapped form matches the IPv4 network").isEmpty();
        assertThat(p.refusal(InetAddress.getByName("169.254.169.254"))).isEmpty();
        assertThat(p.refusal(InetAddress.getByName("::1"))).isEmpty();
        assertThat(p.refusal(InetAddress.getByName("0.0.0.0"))).get().asString().contains("never");
        assertThat(p.refusal(InetAddress.getByName("239.1.1.1"))).get().asString().contains("never");
        assertThat(p.refusal(InetAddress.getByName("255.255.255.255"))).get().asString().contains("never");

        NetworkPolicy narrow = NetworkPolicy.of(false, List.of("10.20.0.0/16"));
        assertThat(narrow.refusal(InetAddress.getByName("10.21.0.1"))).isPresent();
        assertThat(narrow.refusal(InetAddress.getByName("127.0.0.1"))).isPresent();
    }

    @Test
    void metadataNamesAreRefusedBeforeAnyLookup() {
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal("metadata.google.internal")).isPresent();
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal("METADATA.google.internal.")).isPresent();
        assertThat(NetworkPolicy.of(true, List.of("0.0.0.0/0")).refusal("metadata.google.internal")).isPresent();
        assertThat(NetworkPolicy.PUBLIC_ONLY.refusal("api.example.com")).isEmpty();
    }

    @Test
    void badNetworksAreRefusedNamingTheEntryAndNoNameIsLookedUp() {
        assertThatThrownBy(() -> NetworkPolicy.of(false, List.of("10.0.0.0/8", "intranet.example")))
                .hasMessage("[1] 'intranet.example': not an IPv4 or IPv6 address or CIDR network (no host names)");
        assertThatThrownBy(() -> NetworkPolicy.of(false, List.of("10.0.0.0/33"))).hasMessageContaining("0 to 32");
        assertThatThrownBy(() -> NetworkPolicy.of(false, List.of("fd00::/129"))).hasMessageContaining("0 to 128");
        assertThatThrownBy(() -> NetworkPolicy.of(false, List.of("300.1.1.1"))).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> NetworkPolicy.of(false, List.of(""))).hasMessageContaining("empty");
    }

    @Test
    void cidrMasksHostBits() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("fd00::1/8").contains(new byte[]{(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9})).isTrue();
    }

    static InetAddress mapped(String v4) throws Exception {
        byte[] four = InetAddress.getByName(v4).getAddress();
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(four, 0, b, 12, 4);
        return Inet6Address.getByAddress(null, b, -1);
    }
}
