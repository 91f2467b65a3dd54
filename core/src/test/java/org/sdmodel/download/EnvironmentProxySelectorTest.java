package org.sdmodel.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sdmodel.testing.TestFiles;

/**
 * The proxy environment variables, read as curl and CPython read them. The {@code no_proxy}
 * matching is checked against CPython's own {@code urllib.request.proxy_bypass_environment} on a
 * table it wrote ({@code testdata/download/no_proxy_python.py}); what Python does not do (CIDR
 * ranges, {@code *.domain}, IPv6 literals) against curl's documented rules.
 */
class EnvironmentProxySelectorTest {
    private static final ProxySelector DIRECT = new ProxySelector() {
        @Override
        public List<Proxy> select(URI uri) {
            return List.of(Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        }
    };

    private static EnvironmentProxySelector env(String... keyValues) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return EnvironmentProxySelector.from(m, DIRECT);
    }

    private static String proxyOf(EnvironmentProxySelector s, String uri) {
        Proxy p = s.select(URI.create(uri)).get(0);
        if (p.type() == Proxy.Type.DIRECT) {
            return "direct";
        }
        InetSocketAddress a = (InetSocketAddress) p.address();
        return a.getHostString() + ":" + a.getPort();
    }

    @Test
    void noProxyMatchesAsCPythonDoesOnEveryRowOfItsTable() throws IOException {
        List<String> rows = Files.readAllLines(TestFiles.testdata("download/no_proxy_python.tsv"));
        int checked = 0;
        for (String row : rows) {
            if (row.startsWith("#")) {
                continue;
            }
            String[] f = row.split("\t");
            EnvironmentProxySelector s = env("no_proxy", f[0]);
            boolean expected = Boolean.parseBoolean(f[3]);
            assertEquals(expected, s.bypassed(f[1], Integer.parseInt(f[2])),
                    "no_proxy=\"" + f[0] + "\", host " + f[1] + ":" + f[2]);
            checked++;
        }
        assertEquals(252, checked);
    }

    @Test
    void noProxyBeyondPythonFollowsCurl() {
        // curl 7.86+: CIDR ranges for IP addresses
        EnvironmentProxySelector cidr = env("no_proxy", "10.0.0.0/8,192.168.1.0/24,2001:db8::/32");
        assertTrue(cidr.bypassed("10.200.3.4", 80));
        assertFalse(cidr.bypassed("11.0.0.1", 80));
        assertTrue(cidr.bypassed("192.168.1.77", 80));
        assertFalse(cidr.bypassed("192.168.2.1", 80));
        assertTrue(cidr.bypassed("[2001:db8::1]", 443));
        assertFalse(cidr.bypassed("[2001:db9::1]", 443));
        assertFalse(cidr.bypassed("10.example.com", 80), "a name is never matched against an IP range");
        // curl: IPv6 addresses without brackets; brackets accepted too
        assertTrue(env("no_proxy", "::1").bypassed("[::1]", 8080));
        assertTrue(env("no_proxy", "[::1]").bypassed("::1", 8080));
        assertTrue(env("no_proxy", "[::1]:8080").bypassed("::1", 8080));
        assertFalse(env("no_proxy", "[::1]:8080").bypassed("::1", 9090));
        // Go and Node: *.domain as a domain
        assertTrue(env("no_proxy", "*.example.com").bypassed("www.example.com", 443));
        assertTrue(env("no_proxy", "*.example.com").bypassed("example.com", 443));
        // a trailing dot on the host is the same name
        assertTrue(env("no_proxy", "example.com").bypassed("www.example.com.", 443));
        // an invalid dotted quad is never looked up as a name, nor matched
        assertFalse(env("no_proxy", "1.2.3.999").bypassed("1.2.3.999", 80));
        // "*" as one entry of a list
        assertTrue(env("no_proxy", "foo.org,*").bypassed("anything.net", 80));
    }

    @Test
    void variablesAreReadInCurlsOrder() {
        assertEquals("lower:1", proxyOf(env("https_proxy", "lower:1", "HTTPS_PROXY", "upper:2"), "https://hf.co/x"));
        assertEquals("upper:2", proxyOf(env("HTTPS_PROXY", "upper:2"), "https://hf.co/x"));
        assertEquals("all:3", proxyOf(env("all_proxy", "all:3"), "https://hf.co/x"));
        assertEquals("all:4", proxyOf(env("ALL_PROXY", "all:4"), "http://hf.co/x"));
        assertEquals("lower:1", proxyOf(env("https_proxy", "lower:1", "all_proxy", "all:3"), "https://hf.co/x"));
        // http: lower case only (an upper-case HTTP_PROXY can come from a CGI request's Proxy: header)
        assertEquals("direct", proxyOf(env("HTTP_PROXY", "upper:2"), "http://hf.co/x"));
        assertEquals("lower:5", proxyOf(env("http_proxy", "lower:5"), "http://hf.co/x"));
        // the https variable is not used for http addresses, nor the other way round
        assertEquals("direct", proxyOf(env("https_proxy", "lower:1"), "http://hf.co/x"));
        assertEquals("direct", proxyOf(env("http_proxy", "lower:5"), "https://hf.co/x"));
        // set empty: no proxy, and it hides the upper-case variable and all_proxy (curl's detect_proxy)
        EnvironmentProxySelector empty = env("https_proxy", "", "HTTPS_PROXY", "upper:2", "all_proxy", "all:3");
        assertEquals("direct", proxyOf(empty, "https://hf.co/x"));
        assertEquals("directly (https_proxy is set empty)", empty.route(URI.create("https://hf.co/x")));
        // no_proxy before NO_PROXY
        EnvironmentProxySelector both = env("https_proxy", "p:1", "no_proxy", "a.org", "NO_PROXY", "b.org");
        assertEquals("direct", proxyOf(both, "https://a.org/x"));
        assertEquals("p:1", proxyOf(both, "https://b.org/x"));
    }

    @Test
    void proxyValuesParseAsCurlAndPythonTakeThem() throws Exception {
        EnvironmentProxySelector.Setting bare = EnvironmentProxySelector.parse(new String[] {"https_proxy", "proxy.corp:3128"});
        assertEquals("proxy.corp", bare.host());
        assertEquals(3128, bare.port());
        assertNull(bare.user());
        EnvironmentProxySelector.Setting noPort = EnvironmentProxySelector.parse(new String[] {"https_proxy", "http://proxy.corp/"});
        assertEquals(80, noPort.port());
        EnvironmentProxySelector.Setting creds = EnvironmentProxySelector.parse(
                new String[] {"HTTPS_PROXY", "http://me%40corp:p%3Ass+w@proxy.corp:8080"});
        assertEquals("me@corp", creds.user());
        assertEquals("p:ss+w", creds.password());
        assertEquals(8080, creds.port());
        EnvironmentProxySelector.Setting v6 = EnvironmentProxySelector.parse(new String[] {"https_proxy", "http://[fd00::1]:3128"});
        assertEquals("fd00::1", v6.host());
        assertTrue(env("https_proxy", "http://u:p@proxy:1").hasCredentials());
        assertFalse(env("https_proxy", "http://proxy:1").hasCredentials());
    }

    @Test
    void proxiesJavaCannotUseAreRefusedNotIgnored() throws DownloadException {
        for (String value : List.of("socks5://127.0.0.1:1080", "socks5h://proxy:1080", "https://proxy:443", "http://:8080")) {
            EnvironmentProxySelector s = env("https_proxy", value);
            DownloadException e = assertThrows(DownloadException.class, () -> s.check(URI.create("https://hf.co/x")), value);
            assertTrue(e.getMessage().startsWith("https_proxy=" + value), e.getMessage());
            // never a silent direct connection, nor a proxy Java would mishandle
            assertEquals("direct", proxyOf(s, "https://hf.co/x"));
        }
        assertTrue(assertThrows(DownloadException.class, () -> env("https_proxy", "socks5://p:1").check(URI.create("https://hf.co/x")))
                .getMessage().contains("SOCKS"));
        // the broken setting does not matter for a host listed in no_proxy
        env("https_proxy", "socks5://p:1", "no_proxy", "hf.co").check(URI.create("https://hf.co/x"));
    }

    @Test
    void routeSaysHowAndFromWhichVariable() {
        URI hub = URI.create("https://huggingface.co/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt");
        assertEquals("through the proxy proxy.corp:3128 (from HTTPS_PROXY)", env("HTTPS_PROXY", "proxy.corp:3128").route(hub));
        assertEquals("directly (no proxy set: HTTPS_PROXY and ALL_PROXY are unset)", env().route(hub));
        assertEquals("directly (no proxy set: http_proxy and ALL_PROXY are unset)", env().route(URI.create("http://mirror/x")));
        assertEquals("directly (NO_PROXY lists huggingface.co)",
                env("HTTPS_PROXY", "proxy.corp:3128", "NO_PROXY", ".huggingface.co").route(hub));
    }

    @Test
    void withoutVariablesTheFallbackDecides() {
        Proxy marker = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("jvm-proxy", 9));
        ProxySelector jvm = new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                return List.of(marker);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
            }
        };
        EnvironmentProxySelector none = EnvironmentProxySelector.from(Map.of(), jvm);
        assertEquals(marker, none.select(URI.create("https://hf.co/x")).get(0));
        assertEquals("through the proxy jvm-proxy:9 (from Java's proxy settings)", none.route(URI.create("https://hf.co/x")));
        // a no_proxy match of an environment proxy is final: the fallback does not put one back
        EnvironmentProxySelector bypass = EnvironmentProxySelector.from(Map.of("https_proxy", "p:1", "no_proxy", "hf.co"), jvm);
        assertEquals(Proxy.NO_PROXY, bypass.select(URI.create("https://hf.co/x")).get(0));
        assertNotNull(bypass.route(URI.create("https://hf.co/x")));
    }
}
