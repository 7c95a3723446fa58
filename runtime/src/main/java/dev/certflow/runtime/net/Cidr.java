package dev.certflow.runtime.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR form ({@code 10.0.0.0/8}, {@code fd00::/8}); a bare address is a
 * single-address network. Parsing never looks a name up: only literals are accepted. An IPv4-mapped
 * IPv6 address ({@code ::ffff:10.1.2.3}) is matched as the IPv4 address it carries.
 */
public record Cidr(byte[] network, int prefix, String text) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** @throws IllegalArgumentException saying what is wrong with {@code value} */
    public static Cidr parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("an empty network");
        }
        String v = value.trim();
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address or CIDR network (no host names)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(v.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("the prefix length must be 0 to " + max);
            }
        }
        return new Cidr(mask(bytes, prefix), prefix, v);
    }

    /** The address bytes of an IP literal (4 for IPv4 and IPv4-mapped IPv6, 16 otherwise), or null when it is not one. */
    static byte[] literal(String s) {
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6 && !IPV4.matcher(s).matches() || v6 && !s.matches("[0-9A-Fa-f:.]+")) {
            return null; // never hand a name to InetAddress: it would be looked up
        }
        try {
            return normalize(InetAddress.getByName(s).getAddress());
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** IPv4-mapped IPv6 bytes become the 4 IPv4 bytes; others are returned as they are. */
    static byte[] normalize(byte[] a) {
        if (a.length == 16 && isMapped(a)) {
            return Arrays.copyOfRange(a, 12, 16);
        }
        return a;
    }

    static boolean isMapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] a, int prefix) {
        byte[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    public boolean contains(InetAddress address) {
        return contains(normalize(address.getAddress()));
    }

    boolean contains(byte[] address) {
        return address.length == network.length && Arrays.equals(mask(address, prefix), network);
    }

    /** Whether this network holds IPv4 addresses. */
    public boolean ipv4() {
        return network.length == 4;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        return text;
    }
}
