package org.sdmodel.download;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Proxies from the environment variables curl, wget and Python read, which Java's own
 * {@link java.net.http.HttpClient} ignores: {@code https_proxy}/{@code HTTPS_PROXY} for https
 * addresses, {@code http_proxy} for http ones (lower case only, as curl: an upper-case
 * {@code HTTP_PROXY} can be set by a web request's {@code Proxy:} header in CGI programs), then
 * {@code all_proxy}/{@code ALL_PROXY}; {@code no_proxy}/{@code NO_PROXY} lists the hosts reached
 * directly. The first of these variables that is set decides, as in curl's {@code detect_proxy}:
 * lower case before upper case, and one set to an empty value means no proxy (it hides the rest).
 *
 * <p>A proxy value is {@code [http://][user:password@]host[:port]}: a missing scheme means
 * {@code http://} (curl, Python), a missing port the scheme's default, 80 (Python, Go, wget; curl
 * alone assumes 1080). {@code https://} (TLS to the proxy) and SOCKS proxies are refused with a
 * message: Java's HTTP client speaks neither, and would otherwise silently connect directly.
 *
 * <p>{@code no_proxy} entries are separated by commas (or spaces); each is {@code *} (every
 * host), a domain that matches itself and its subdomains ({@code example.com}, {@code
 * .example.com} and {@code *.example.com} alike, so {@code example.com} does not match {@code
 * notexample.com}), optionally with {@code :port} to match that port only (Python, Go), an IP
 * address (IPv6 with or without brackets), or an IP range in CIDR notation ({@code 10.0.0.0/8},
 * curl 7.86 and Go). Host names are not resolved to match IP entries: no lookup happens here.
 *
 * <p>Without a variable for the address's scheme, the {@code fallback} selector decides (the
 * JVM's default honours {@code -Dhttps.proxyHost}, so an embedder's settings still apply).
 */
final class EnvironmentProxySelector extends ProxySelector {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /**
     * The proxy an environment variable names, or why it cannot be used ({@code error} non-null).
     */
    record Setting(String variable, String host, int port, String user, String password, String error) {
        String describe() {
            return host + ":" + port + " (from " + variable + ")";
        }

        /** The variable is set to nothing: no proxy. */
        boolean disabled() {
            return host == null && error == null;
        }
    }

    private final Setting http;
    private final Setting https;
    private final String noProxyVariable;
    private final List<String> noProxy;
    private final ProxySelector fallback;

    private EnvironmentProxySelector(Setting http, Setting https, String noProxyVariable, List<String> noProxy,
            ProxySelector fallback) {
        this.http = http;
        this.https = https;
        this.noProxyVariable = noProxyVariable;
        this.noProxy = noProxy;
        this.fallback = fallback;
    }

    /** Reads the variables from {@code env} ({@link System#getenv()} in use, a map in tests). */
    static EnvironmentProxySelector from(Map<String, String> env, ProxySelector fallback) {
        String[] np = first(env, "no_proxy", "NO_PROXY");
        List<String> entries = new ArrayList<>();
        if (np != null) {
            for (String e : np[1].split("[,\\s]+")) {
                if (!e.isEmpty()) {
                    entries.add(e);
                }
            }
        }
        return new EnvironmentProxySelector(
                parse(first(env, "http_proxy", "all_proxy", "ALL_PROXY")),
                parse(first(env, "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")),
                np == null ? null : np[0], List.copyOf(entries), fallback);
    }

    /** The first variable that is set, even to nothing: {name, value stripped}, or null. */
    private static String[] first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null) {
                return new String[] {n, v.strip()};
            }
        }
        return null;
    }

    static Setting parse(String[] variable) {
        if (variable == null) {
            return null;
        }
        String name = variable[0];
        String value = variable[1];
        if (value.isEmpty()) {
            return new Setting(name, null, -1, null, null, null); // set empty: no proxy
        }
        String withScheme = value.contains("://") ? value : "http://" + value;
        URI u;
        try {
            u = new URI(withScheme);
        } catch (URISyntaxException e) {
            return error(name, name + "=" + value + " is not a proxy address (expected http://host:port)");
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.startsWith("socks")) {
            return error(name, name + "=" + value + ": SOCKS proxies are not supported (Java's HTTP client speaks "
                    + "only to HTTP proxies); give an HTTP proxy, or add the host to NO_PROXY");
        }
        if (!scheme.equals("http")) {
            return error(name, name + "=" + value + ": only http:// proxies are supported (Java's HTTP client "
                    + "cannot speak TLS to a proxy); an https:// address is still downloaded over TLS through an http:// proxy");
        }
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            return error(name, name + "=" + value + " is not a proxy address (expected http://host:port)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = u.getPort() < 0 ? 80 : u.getPort();
        String user = null;
        String password = null;
        String info = u.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? "" : decode(info.substring(colon + 1));
        }
        return new Setting(name, host, port, user, password, null);
    }

    private static Setting error(String variable, String message) {
        return new Setting(variable, null, -1, null, null, message);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The environment's proxy for {@code uri}, or null when it goes directly or by the fallback. */
    Setting settingFor(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        Setting s = scheme.equals("https") ? https : scheme.equals("http") ? http : null;
        if (s == null || s.disabled() || bypassed(uri.getHost(), port(uri))) {
            return null;
        }
        return s;
    }

    /** Throws if the setting that applies to {@code uri} cannot be used. */
    void check(URI uri) throws DownloadException {
        Setting s = settingFor(uri);
        if (s != null && s.error() != null) {
            throw new DownloadException(uri, s.error());
        }
    }

    @Override
    public List<Proxy> select(URI uri) {
        Setting s = settingFor(uri);
        if (s != null && s.error() == null) {
            return List.of(new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(s.host(), s.port())));
        }
        if (hasVariable(uri)) {
            return List.of(Proxy.NO_PROXY); // no_proxy matched: the fallback must not put a proxy back
        }
        return fallback.select(uri);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // one proxy per address: nothing to fall back to
    }

    private boolean hasVariable(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return scheme.equals("https") ? https != null : scheme.equals("http") && http != null;
    }

    /**
     * How {@code uri} is reached, for messages: through which proxy and from which variable, or
     * directly and why ({@code no_proxy} matched, or no variable is set).
     */
    String route(URI uri) {
        Setting s = settingFor(uri);
        if (s != null) {
            return "through the proxy " + s.describe();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (hasVariable(uri)) {
            Setting set = scheme.equals("https") ? https : http;
            return set.disabled() ? "directly (" + set.variable() + " is set empty)"
                    : "directly (" + noProxyVariable + " lists " + uri.getHost() + ")";
        }
        List<Proxy> fromFallback = fallback.select(uri);
        if (!fromFallback.isEmpty() && fromFallback.get(0).type() == Proxy.Type.HTTP) {
            SocketAddress a = fromFallback.get(0).address();
            String where = a instanceof InetSocketAddress ? ((InetSocketAddress) a).getHostString() + ":"
                    + ((InetSocketAddress) a).getPort() : String.valueOf(a);
            return "through the proxy " + where + " (from Java's proxy settings)";
        }
        return "directly (no proxy set: " + variableFor(scheme) + " and ALL_PROXY are unset)";
    }

    /** The variable a user sets for a proxy for {@code scheme} addresses. */
    static String variableFor(String scheme) {
        return "http".equalsIgnoreCase(scheme) ? "http_proxy" : "HTTPS_PROXY";
    }

    /** Answers a proxy's request for credentials with the ones in its variable's value, if any. */
    Authenticator authenticator() {
        if ((http == null || http.user() == null) && (https == null || https.user() == null)) {
            return null;
        }
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                if (getRequestorType() != RequestorType.PROXY) {
                    return null;
                }
                for (Setting s : new Setting[] {https, http}) {
                    if (s != null && s.user() != null && s.host().equalsIgnoreCase(getRequestingHost())
                            && s.port() == getRequestingPort()) {
                        return new PasswordAuthentication(s.user(), s.password().toCharArray());
                    }
                }
                return null;
            }
        };
    }

    /** Whether a proxy variable with credentials is set (see {@link Downloader}'s note on Basic tunnelling). */
    boolean hasCredentials() {
        return authenticator() != null;
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** Whether {@code no_proxy} lists {@code host} (a name or an IP literal, brackets allowed) at {@code port}. */
    boolean bypassed(String host, int port) {
        if (host == null) {
            return false;
        }
        String h = normalise(host);
        for (String entry : noProxy) {
            if (matches(entry, h, port)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String rawEntry, String host, int port) {
        String entry = rawEntry.toLowerCase(Locale.ROOT);
        if (entry.equals("*")) {
            return true;
        }
        int entryPort = -1;
        // host:port, [v6]:port; a bare IPv6 address has several colons and no port
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                return false;
            }
            String rest = entry.substring(close + 1);
            if (rest.startsWith(":")) {
                entryPort = parsePort(rest.substring(1));
                if (entryPort < 0) {
                    return false;
                }
            }
            entry = entry.substring(1, close);
        } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            int colon = entry.indexOf(':');
            entryPort = parsePort(entry.substring(colon + 1));
            if (entryPort < 0) {
                return false;
            }
            entry = entry.substring(0, colon);
        }
        if (entryPort >= 0 && entryPort != port) {
            return false;
        }
        int slash = entry.indexOf('/');
        if (slash >= 0) {
            return inCidr(host, entry.substring(0, slash), entry.substring(slash + 1));
        }
        if (isIpLiteral(entry) || isIpLiteral(host)) {
            byte[] a = literal(entry);
            byte[] b = literal(host);
            return a != null && b != null && java.util.Arrays.equals(a, b);
        }
        if (entry.startsWith("*.")) {
            entry = entry.substring(1);
        }
        while (entry.startsWith(".")) {
            entry = entry.substring(1);
        }
        entry = normalise(entry);
        return !entry.isEmpty() && (host.equals(entry) || host.endsWith("." + entry));
    }

    private static int parsePort(String s) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        int p = Integer.parseInt(s);
        return p <= 65535 ? p : -1;
    }

    private static boolean inCidr(String host, String network, String bitsText) {
        byte[] h = literal(host);
        byte[] n = literal(network);
        int bits = parsePort(bitsText);
        if (h == null || n == null || h.length != n.length || bits < 0 || bits > n.length * 8) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((h[i / 8] & mask) != (n[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static String normalise(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static boolean isIpLiteral(String s) {
        return IPV4.matcher(s).matches() || s.indexOf(':') >= 0;
    }

    /** The address bytes of an IP literal, or null; never a name lookup. */
    private static byte[] literal(String s) {
        if (!isIpLiteral(s)) {
            return null;
        }
        if (s.indexOf(':') < 0) {
            // a dotted quad, parsed here: InetAddress would look up "1.2.3.999" as a name
            byte[] b = new byte[4];
            String[] parts = s.split("\\.");
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(parts[i]);
                if (v > 255) {
                    return null;
                }
                b[i] = (byte) v;
            }
            return b;
        }
        try {
            // with a ':' InetAddress parses an IPv6 literal or fails; it never looks one up
            return InetAddress.getByName(s).getAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
