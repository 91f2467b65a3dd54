package org.sdmodel.download;

import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Downloads a model file over HTTP(S) into a {@code .part} file, resuming what an interrupted
 * run left, and checks it before handing it over. With Java's own {@link HttpClient}; no other
 * dependency.
 *
 * <pre>{@code
 * Path target = folder.resolve("768-v-ema.ckpt");
 * DownloadResult r = Downloader.create().download(URI.create(url), Downloader.partFile(target),
 *         expectedSha256, DownloadListener.NONE);
 * Files.move(r.file(), target, StandardCopyOption.ATOMIC_MOVE);
 * }</pre>
 *
 * <ul>
 *   <li><b>Resume.</b> A {@code .part} left by an earlier run is continued with an HTTP {@code
 *       Range} request ({@code If-Range} with the entity tag or date recorded with the {@code
 *       .part}, so that a file changed on the server is downloaded again rather than spliced onto
 *       the old bytes). A broken connection, a stalled one, or a 5xx/429 answer is retried from
 *       where it stopped, with doubling waits, until {@link Builder#retries(int) retries}
 *       consecutive attempts brought no new byte. A server that ignores {@code Range} (answers
 *       200) is downloaded again from zero, and the listener is told so. The server's {@code
 *       Content-Range} must start where the request asked.
 *   <li><b>Redirects</b> are followed here (at most 10, never from https to http), so every hop
 *       carries the {@code Range} and {@code If-Range} headers: the Hugging Face hub answers with a
 *       redirect to its CDN.
 *   <li><b>Checks</b>, each a typed {@link DownloadException}: a body that is not a model file
 *       (an HTML login page answering 200, JSON, text), seen in its first bytes before anything is
 *       written ({@link NotAModelException}); a body ending short of its announced length that
 *       asking again does not complete ({@link TruncatedDownloadException}); the sha256 ({@link
 *       ChecksumMismatchException}); an HTTP refusal ({@link HttpStatusException}); a host or
 *       proxy that cannot be reached ({@link UnreachableException}, whose message says how the
 *       connection was made). The free space is checked against the announced length before the
 *       body is written ({@link org.sdmodel.io.InsufficientSpaceException}).
 *   <li><b>What is left.</b> A refused body (not a model, wrong sha256, truncated) deletes the
 *       {@code .part}: its bytes are known to be wrong. A failed connection, an HTTP error or a
 *       full disk keeps it (when it holds anything) for the next run to resume.
 *   <li><b>Proxies</b> come from {@code https_proxy}/{@code HTTPS_PROXY}, {@code http_proxy},
 *       {@code all_proxy} and {@code no_proxy}/{@code NO_PROXY}, read as curl and Python read
 *       them, which Java's client does not do by itself; without them, the JVM's own proxy
 *       settings apply. Credentials in a proxy variable ({@code http://user:pass@host:port}) are
 *       answered to the proxy; note that for https addresses the JVM refuses Basic
 *       authentication to a proxy unless the system property {@code
 *       jdk.http.auth.tunneling.disabledSchemes} is set to an empty string before the first
 *       request (the sdmodel command line does that when a proxy variable holds credentials).
 * </ul>
 *
 * <p>A {@code Downloader} is immutable and may serve several downloads, one per {@code .part}
 * at a time (a second download into the same {@code .part}, even from another process, is
 * refused).
 */
public final class Downloader {
    final HttpClient client;
    final EnvironmentProxySelector proxies;
    final Duration responseTimeout;
    final Duration idleTimeout;
    final int retries;
    final Duration firstBackoff;
    final Duration maxBackoff;

    private Downloader(Builder b) {
        this.proxies = EnvironmentProxySelector.from(b.environment, jvmProxies());
        HttpClient.Builder cb = HttpClient.newBuilder()
                // One HTTP/1.1 stream per request: a plain-http mirror is not offered an h2c
                // upgrade, and a body cut short of its Content-Length is an error the client reports.
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(b.connectTimeout)
                .proxy(proxies);
        if (proxies.authenticator() != null) {
            cb.authenticator(proxies.authenticator());
        }
        this.client = cb.build();
        this.responseTimeout = b.responseTimeout;
        this.idleTimeout = b.idleTimeout;
        this.retries = b.retries;
        this.firstBackoff = b.firstBackoff;
        this.maxBackoff = b.maxBackoff;
    }

    /** {@return a downloader with the defaults: proxies from {@link System#getenv()}, 5 retries} */
    public static Downloader create() {
        return builder().build();
    }

    /** {@return settings other than the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the {@code .part} a download of {@code target} goes through: {@code <name>.part} beside it}
     *
     * @param target the file a download will become
     */
    public static Path partFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    /**
     * Downloads {@code uri} into {@code part}, continuing what {@code part} already holds, and
     * checks the result (see the class comment). Returns when {@code part} is complete; the caller
     * renames it.
     *
     * @param expectedSha256 the file's sha256 (hex, either case), or null to skip that check
     * @param uri the address (http or https)
     * @param part the {@code .part} file (see {@link #partFile})
     * @param listener told of the progress, retries and checks
     * @return the size, the sha256 and how the download went
     * @throws IllegalArgumentException if {@code uri} is not http(s) or {@code expectedSha256} is not 64 hex digits
     * @throws IOException a {@link DownloadException} subclass saying why the download failed
     */
    public DownloadResult download(URI uri, Path part, String expectedSha256, DownloadListener listener)
            throws IOException {
        Objects.requireNonNull(part, "part");
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException(uri + ": not an http:// or https:// address");
        }
        String sha = null;
        if (expectedSha256 != null) {
            sha = expectedSha256.toLowerCase(Locale.ROOT);
            if (!sha.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("not a sha256 (64 hex digits): " + expectedSha256);
            }
        }
        return new Transfer(this, uri, part.toAbsolutePath(), sha, listener == null ? DownloadListener.NONE : listener).run();
    }

    /**
     * How {@code uri} would be reached, for messages: {@code through the proxy host:port (from
     * HTTPS_PROXY)}, or {@code directly (...)} and why.
     *
     * @param uri an address
     * @return the route, as a phrase
     */
    public String route(URI uri) {
        return proxies.route(uri);
    }

    /**
     * Whether a proxy variable of {@code env} carries credentials: then, for https addresses,
     * {@code jdk.http.auth.tunneling.disabledSchemes} must be set to an empty string before the
     * first download (see the class comment).
     *
     * @param env environment variables
     * @return whether a proxy variable holds a user name or password
     */
    public static boolean proxyCredentialsIn(Map<String, String> env) {
        return EnvironmentProxySelector.from(env, jvmProxies()).hasCredentials();
    }

    /** The JVM's proxy selector (it honours {@code -Dhttps.proxyHost}); direct if an application removed it. */
    private static ProxySelector jvmProxies() {
        ProxySelector s = ProxySelector.getDefault();
        return s != null ? s : HttpClient.Builder.NO_PROXY;
    }

    /** Settings for a {@link Downloader}. */
    public static final class Builder {
        private Map<String, String> environment = System.getenv();
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration responseTimeout = Duration.ofSeconds(60);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private int retries = 5;
        private Duration firstBackoff = Duration.ofSeconds(2);
        private Duration maxBackoff = Duration.ofSeconds(60);

        private Builder() {
        }

        /**
         * Sets where the proxy variables are read (default: {@link System#getenv()}).
         *
         * @param env the variables
         * @return this builder
         */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            return this;
        }

        /**
         * Sets how long to wait for a connection (default 30 s).
         *
         * @param d the duration
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d);
            return this;
        }

        /**
         * Sets how long to wait for an answer's headers (default 60 s).
         *
         * @param d the duration
         * @return this builder
         */
        public Builder responseTimeout(Duration d) {
            this.responseTimeout = positive(d);
            return this;
        }

        /**
         * Sets how long a body may send nothing before the connection counts as broken (default 60 s).
         *
         * @param d the duration
         * @return this builder
         */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = positive(d);
            return this;
        }

        /**
         * Sets consecutive failed attempts without a new byte before giving up (default 5).
         *
         * @param n the number of attempts
         * @return this builder
         */
        public Builder retries(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("retries < 0");
            }
            this.retries = n;
            return this;
        }

        /**
         * Sets the wait before the first retry, doubled for each next one up to {@code max} (default 2 s, 60 s).
         *
         * @param first the first wait
         * @param max the longest wait
         * @return this builder
         */
        public Builder backoff(Duration first, Duration max) {
            this.firstBackoff = Objects.requireNonNull(first);
            this.maxBackoff = Objects.requireNonNull(max);
            return this;
        }

        /** {@return a downloader with these settings} */
        public Downloader build() {
            return new Downloader(this);
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("not a positive duration: " + d);
            }
            return d;
        }
    }
}
