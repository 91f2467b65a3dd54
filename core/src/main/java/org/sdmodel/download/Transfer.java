package org.sdmodel.download;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.sdmodel.io.TemporaryFile;

/** One call of {@link Downloader#download}: the state of the {@code .part} and of the requests. */
final class Transfer {
    private static final int BUFFER_BYTES = 256 << 10;
    private static final int MAX_REDIRECTS = 10;
    /** Restarts from zero asked for by the server (a changed file), beyond failures and retries. */
    private static final int MAX_RESTARTS = 3;
    private static final String USER_AGENT = "sdmodel";

    private final Downloader settings;
    private final URI uri;
    private final Path part;
    private final String expectedSha256;
    private final DownloadListener listener;

    private FileChannel channel;
    private MessageDigest digest;
    /** Bytes in the .part, all of them fed to {@link #digest}. */
    private long offset;
    /** The file's length as the server announced it, or -1. */
    private long total = -1;
    /** The server's validators for the file being downloaded, for If-Range. */
    private PartRecord record;
    private URI from;
    private long resumedFrom;
    private int retryCount;
    private int restarts;
    /** Whether any server answered in this run: before that, a failure to connect is final. */
    private boolean answered;
    /** Set when a refusal concerns the server's answer, not the bytes already in the .part. */
    private boolean keepPart;

    private volatile InputStream body;
    private volatile long lastByteNanos;
    private volatile boolean stalled;

    Transfer(Downloader settings, URI uri, Path part, String expectedSha256, DownloadListener listener) {
        this.settings = settings;
        this.uri = uri;
        this.part = part;
        this.expectedSha256 = expectedSha256;
        this.listener = listener;
    }

    /** A failure worth another request: a broken or stalled connection, a short body, a 5xx. */
    private static final class Retryable extends IOException {
        private static final long serialVersionUID = 1L;
        final boolean shortBody;
        final int status;
        final Duration retryAfter;

        Retryable(String message, Throwable cause, boolean shortBody, int status, Duration retryAfter) {
            super(message, cause);
            this.shortBody = shortBody;
            this.status = status;
            this.retryAfter = retryAfter;
        }
    }

    /** A failure to write the .part: local, never retried; carries the original exception. */
    private static final class WriteFailure extends IOException {
        private static final long serialVersionUID = 1L;

        WriteFailure(IOException cause) {
            super(cause);
        }
    }

    DownloadResult run() throws IOException {
        Path folder = part.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new NoSuchFileException(String.valueOf(folder), null, "no such folder");
        }
        channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new DownloadException(uri, part + ": another download is writing it");
        }
        boolean delete = false;
        ScheduledExecutorService watchdog = null;
        try {
            prepare();
            watchdog = startWatchdog();
            transfer();
            return finish();
        } catch (NotAModelException | ChecksumMismatchException | TruncatedDownloadException e) {
            delete = !keepPart; // the bytes are known to be wrong: nothing to resume
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            delete = offset == 0 && sizeOrZero() == 0; // keep what can be resumed, nothing empty
            throw e;
        } finally {
            if (watchdog != null) {
                watchdog.shutdownNow();
            }
            channel.close();
            if (delete) {
                Files.deleteIfExists(part);
            }
        }
    }

    private long sizeOrZero() {
        try {
            return channel.size();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Takes over an earlier run's .part when it can be trusted: hashes its bytes, keeps its validators. */
    private void prepare() throws IOException {
        digest = sha256();
        offset = channel.size();
        record = PartRecord.read(part);
        if (offset == 0) {
            record = null;
            return;
        }
        String name = part.getFileName().toString();
        byte[] head = new byte[BodySniffer.HEAD_BYTES];
        ByteBuffer hb = ByteBuffer.wrap(head);
        while (hb.hasRemaining() && channel.read(hb, hb.position()) > 0) {
            // fill what the file has
        }
        if (offset < BodySniffer.HEAD_BYTES || !BodySniffer.isModel(head, hb.position())) {
            listener.notice(name + " does not start like a model file: downloading again from zero");
            restartFromZero();
            return;
        }
        if (record != null && !record.url().equals(uri.toString())) {
            if (expectedSha256 == null) {
                listener.notice(name + " was started from another address (" + record.url()
                        + "): downloading again from zero");
                restartFromZero();
                return;
            }
            record = null; // its validators are another server's; the sha256 check decides
        }
        if (record != null && record.total() >= 0 && offset > record.total()) {
            listener.notice(name + " is longer than the file it was started from: downloading again from zero");
            restartFromZero();
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES * 4);
        for (long pos = 0; pos < offset; ) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), offset - pos));
            int n = channel.read(buf, pos);
            if (n <= 0) {
                throw new EOFException(part + " shrank while being read");
            }
            buf.flip();
            digest.update(buf);
            pos += n;
        }
        resumedFrom = offset;
        if (record != null) {
            total = record.total();
        }
        listener.notice("resuming " + name + " from an earlier run: " + bytes(offset) + " already downloaded"
                + (record != null && record.validator() != null ? ""
                        : expectedSha256 != null ? " (no record of the server's version of the file: the sha256 check decides)"
                        : " (no record of the server's version of the file, and no sha256 to check it against)"));
    }

    private void restartFromZero() throws IOException {
        channel.truncate(0);
        digest.reset();
        offset = 0;
        total = -1;
        resumedFrom = 0;
        record = null;
        PartRecord.clear(part);
    }

    /** Requests until the .part is complete, retrying failures that brought no new byte up to the limit. */
    private void transfer() throws IOException {
        long furthest = offset;
        int fruitless = 0;
        while (true) {
            Retryable failure;
            try {
                if (attempt()) {
                    return;
                }
                continue; // the server asked for a fresh start; not a failure
            } catch (Retryable r) {
                failure = r;
            }
            if (offset > furthest) {
                furthest = offset;
                fruitless = 0;
            }
            fruitless++;
            if (fruitless > settings.retries) {
                throw giveUp(failure, fruitless - 1, furthest);
            }
            Duration wait = backoff(fruitless, failure.retryAfter);
            retryCount++;
            listener.notice(failure.getMessage() + "; retrying in " + seconds(wait) + " (" + fruitless + " of "
                    + settings.retries + ")");
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting to retry " + uri);
            }
        }
    }

    private Duration backoff(int attempt, Duration retryAfter) {
        Duration wait = settings.firstBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
        if (wait.compareTo(settings.maxBackoff) > 0) {
            wait = settings.maxBackoff;
        }
        if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
            wait = retryAfter.compareTo(settings.maxBackoff) > 0 ? settings.maxBackoff : retryAfter;
        }
        return wait;
    }

    private IOException giveUp(Retryable last, int retried, long furthest) {
        String tries = retried == 0 ? "" : " (" + retried + (retried == 1 ? " retry" : " retries") + " brought nothing more)";
        if (last.shortBody && total >= 0 && retried > 0) {
            return new TruncatedDownloadException(uri, furthest, total, uri + ": the server ended the body at "
                    + bytes(furthest) + " of the " + bytes(total) + " it announced" + tries
                    + ": the file on the server is incomplete, or the server cuts every answer");
        }
        if (last.status > 0) {
            return new HttpStatusException(uri, last.status, last.getMessage() + tries);
        }
        String kept = offset > 0 ? "; the " + bytes(offset) + " downloaded are kept in " + part + ": run again to resume" : "";
        return new UnreachableException(uri, offset, last.getMessage() + tries + ", connecting "
                + settings.proxies.route(from != null ? from : uri) + kept, last.getCause());
    }

    /** One request and its body; true when the .part is complete. */
    private boolean attempt() throws IOException {
        HttpResponse<InputStream> r = send();
        try (InputStream in = r.body()) {
            int status = r.statusCode();
            long end;
            String restart = null;
            if (status == 200) {
                if (offset > 0) {
                    restart = changed(r) ? "the file on the server changed since " + part.getFileName() + " was started"
                            : "the server ignored the request to resume (it answered 200, not 206)";
                }
                total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
                end = total;
            } else if (status == 206) {
                String header = r.headers().firstValue("Content-Range").orElse(null);
                ContentRange range = ContentRange.parse(header);
                if (range == null || range.first() < 0) {
                    throw new DownloadException(uri, from + ": answered 206 without a valid Content-Range (" + header + ")");
                }
                if (range.first() != offset) {
                    throw new DownloadException(uri, from + ": answered bytes " + range.first() + "- when asked for bytes "
                            + offset + "-");
                }
                if (total >= 0 && range.total() >= 0 && range.total() != total) {
                    return restartAsked("the file on the server changed length (" + bytes(range.total()) + ", was "
                            + bytes(total) + ")");
                }
                if (range.total() >= 0) {
                    total = range.total();
                }
                end = range.last() + 1;
            } else if (status == 416) {
                long size = contentRangeTotal(r.headers());
                if (offset > 0 && size == offset) {
                    total = offset; // an earlier run got everything and stopped before the checks
                    return true;
                }
                if (offset > 0) {
                    return restartAsked("the server has no bytes after " + bytes(offset)
                            + (size >= 0 ? " (its file is " + bytes(size) + ")" : ""));
                }
                throw refusal(status);
            } else if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
                throw new Retryable(uri + ": the server answered HTTP " + status, null, false, status, retryAfter(r.headers()));
            } else {
                throw refusal(status);
            }
            if (total >= 0) {
                // A restart truncates the .part first, freeing what it holds: the need is the same.
                TemporaryFile.requireSpace(part.getParent(), total - offset, "the download of " + part.getFileName());
            }
            byte[] head = null;
            int headLength = 0;
            stalled = false;
            lastByteNanos = System.nanoTime();
            body = in;
            try {
                if (offset == 0 || restart != null) {
                    // The first bytes decide whether this is a model file, before anything is written
                    // (and before an earlier .part is given up for it).
                    head = new byte[BodySniffer.HEAD_BYTES];
                    int limit = (int) (end >= 0 ? Math.min(head.length, end) : head.length);
                    while (headLength < limit) {
                        int k = in.read(head, headLength, limit - headLength);
                        if (k < 0) {
                            break;
                        }
                        headLength += k;
                        lastByteNanos = System.nanoTime();
                    }
                    BodySniffer.Refusal refusal = BodySniffer.check(head, headLength);
                    if (refusal != null) {
                        keepPart = restart != null;
                        throw new NotAModelException(uri, refusal.found(), (from.equals(uri) ? uri.toString()
                                : from.getHost() + " (redirected from " + uri + ")") + ": sent " + refusal.describe()
                                + ", not a model file (a login page or an error page?)"
                                + (keepPart ? "; " + part.getFileName() + " from the earlier run is kept" : ""));
                    }
                }
            } catch (IOException e) {
                throw bodyFailure(e);
            }
            if (restart != null) {
                listener.notice(restart + ": downloading again from zero");
                restartFromZero();
                total = end;
            }
            remember(r.headers());
            listener.started(offset, total);
            try {
                if (head != null) {
                    write(head, headLength);
                }
                copy(in, end);
            } catch (IOException e) {
                throw bodyFailure(e);
            } finally {
                body = null;
            }
            if (end >= 0 && offset < end) {
                throw new Retryable(from.getHost() + ": the body ended at " + bytes(offset) + " of " + bytes(end), null, true, 0, null);
            }
            return total < 0 || offset >= total;
        }
    }

    private boolean restartAsked(String why) throws IOException {
        if (++restarts > MAX_RESTARTS) {
            throw new DownloadException(uri, uri + ": " + why + ", " + restarts + " times: the server's file keeps changing");
        }
        listener.notice(why + ": downloading again from zero");
        restartFromZero();
        return false;
    }

    private boolean changed(HttpResponse<?> r) {
        if (record == null) {
            return false;
        }
        String etag = strongEtag(r.headers());
        String modified = r.headers().firstValue("Last-Modified").orElse(null);
        return (record.etag() != null && etag != null && !record.etag().equals(etag))
                || (record.etag() == null && record.lastModified() != null && modified != null
                        && !record.lastModified().equals(modified));
    }

    /** Keeps the server's validators with the .part, for the next run's If-Range. */
    private void remember(HttpHeaders h) {
        String etag = strongEtag(h);
        String modified = h.firstValue("Last-Modified").orElse(null);
        if (record != null) {
            etag = etag != null ? etag : record.etag();
            modified = modified != null ? modified : record.lastModified();
        }
        PartRecord now = new PartRecord(uri.toString(), etag, modified, total);
        if (!now.equals(record)) {
            record = now;
            record.write(part);
        }
    }

    private static String strongEtag(HttpHeaders h) {
        String etag = h.firstValue("ETag").orElse(null);
        return etag == null || etag.startsWith("W/") ? null : etag;
    }

    private static long contentRangeTotal(HttpHeaders h) {
        ContentRange range = ContentRange.parse(h.firstValue("Content-Range").orElse(null));
        return range == null ? -1 : range.total();
    }

    private static Duration retryAfter(HttpHeaders h) {
        String v = h.firstValue("Retry-After").orElse("").strip();
        if (v.matches("\\d{1,6}")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        return null; // an HTTP date, or nothing: the usual backoff
    }

    private HttpStatusException refusal(int status) {
        String what;
        switch (status) {
            case 401:
                what = "needs a login (HTTP 401): the file is gated or private; download it in a browser after logging in, then give its path";
                break;
            case 403:
                what = "access denied (HTTP 403): the file is gated or private, or the link expired";
                break;
            case 404:
            case 410:
                what = "not found (HTTP " + status + "): check the address";
                break;
            case 407:
                what = "the proxy asks for credentials (HTTP 407), connecting " + settings.proxies.route(from)
                        + ": give them in the variable as http://user:password@host:port";
                break;
            case 416:
                what = "the server refused the range asked for (HTTP 416)";
                break;
            default:
                what = "the server answered HTTP " + status;
        }
        return new HttpStatusException(uri, status, (from != null && !from.equals(uri) ? from.getHost() + " (redirected from " + uri + ")" : uri.toString())
                + ": " + what);
    }

    /** Sends the request, following redirects; every hop carries Range and If-Range. */
    private HttpResponse<InputStream> send() throws IOException {
        URI at = uri;
        for (int hop = 0; ; hop++) {
            settings.proxies.check(at);
            HttpRequest.Builder rb = HttpRequest.newBuilder(at).GET().timeout(settings.responseTimeout)
                    .header("User-Agent", USER_AGENT);
            if (offset > 0) {
                rb.header("Range", "bytes=" + offset + "-");
                if (record != null && record.validator() != null) {
                    rb.header("If-Range", record.validator());
                }
            }
            HttpResponse<InputStream> r;
            try {
                r = settings.client.send(rb.build(), BodyStream.HANDLER);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while downloading " + uri);
            } catch (IOException e) {
                throw transportFailure(at, e);
            }
            answered = true;
            from = at;
            int status = r.statusCode();
            if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
                return r;
            }
            r.body().close();
            String location = r.headers().firstValue("Location").orElse(null);
            if (location == null) {
                throw new DownloadException(uri, at + ": a redirect (HTTP " + status + ") without a Location");
            }
            URI next;
            try {
                next = at.resolve(new URI(location));
            } catch (URISyntaxException e) {
                throw new DownloadException(uri, at + ": a redirect to an invalid address: " + location);
            }
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new DownloadException(uri, at + ": a redirect to " + next + ", not an http(s) address");
            }
            if (at.getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
                throw new DownloadException(uri, at + ": a redirect from https to plain http (" + next + "), refused");
            }
            if (hop >= MAX_REDIRECTS) {
                throw new DownloadException(uri, uri + ": more than " + MAX_REDIRECTS + " redirects");
            }
            at = next;
        }
    }

    private IOException transportFailure(URI at, IOException e) {
        if (e instanceof DownloadException) {
            return e;
        }
        String reason = reason(e);
        if (has(e, SSLException.class)) {
            return new DownloadException(uri, at.getHost() + ": the TLS connection failed (" + reason + "), connecting "
                    + settings.proxies.route(at), e);
        }
        boolean connect = has(e, ConnectException.class) || has(e, UnresolvedAddressException.class)
                || has(e, UnknownHostException.class) || has(e, NoRouteToHostException.class)
                || e instanceof HttpConnectTimeoutException;
        if (connect && !answered) {
            String route = settings.proxies.route(at);
            String what = route.startsWith("directly")
                    ? "cannot reach " + at.getHost() + " (" + reason + "), connecting " + route + "; behind a proxy, set "
                            + EnvironmentProxySelector.variableFor(at.getScheme()) + "=http://host:port"
                    // through a proxy, the connection that failed is the one to the proxy
                    : "cannot reach " + route.substring("through ".length()) + " for " + at.getHost() + " (" + reason
                            + "); check that setting, or list the host in NO_PROXY to connect directly";
            return new UnreachableException(uri, offset, (at.equals(uri) ? uri.toString() : at + " (redirected from " + uri + ")")
                    + ": " + what + (offset > 0 ? "; " + part.getFileName() + " is kept to resume" : ""), e);
        }
        // A server that answered before and now fails inside an answer (the JDK's client may see the
        // head and the early end of the body before send() returns) cut that answer short, like one
        // whose body stops while being read: if retries bring nothing more, the body is truncated.
        boolean cutAnswer = answered && total >= 0 && !connect;
        return new Retryable(at.getHost() + ": " + reason + " at " + bytes(offset), e, cutAnswer, 0, null);
    }

    /** Copies the body into the .part from {@link #offset} up to {@code end} (or its end, when -1). */
    private void copy(InputStream in, long end) throws IOException {
        byte[] buf = new byte[BUFFER_BYTES];
        while (end < 0 || offset < end) {
            int want = end < 0 ? buf.length : (int) Math.min(buf.length, end - offset);
            int k = in.read(buf, 0, want);
            if (k < 0) {
                break;
            }
            write(buf, k);
        }
    }

    /** A failure while reading a body: a write failure as it was, a refusal as it is, the rest worth a retry. */
    private IOException bodyFailure(IOException e) {
        if (e instanceof WriteFailure) {
            return (IOException) e.getCause();
        }
        if (e instanceof DownloadException) {
            return e;
        }
        if (stalled) {
            return new Retryable(from.getHost() + ": no data for " + seconds(settings.idleTimeout) + " at "
                    + bytes(offset), e, false, 0, null);
        }
        boolean eof = has(e, EOFException.class);
        return new Retryable(from.getHost() + ": " + (eof ? "the connection closed" : reason(e)) + " at " + bytes(offset)
                + (total >= 0 ? " of " + bytes(total) : ""), e, eof, 0, null);
    }

    private void write(byte[] b, int n) throws WriteFailure {
        ByteBuffer bb = ByteBuffer.wrap(b, 0, n);
        long pos = offset;
        try {
            while (bb.hasRemaining()) {
                pos += channel.write(bb, pos);
            }
        } catch (IOException e) {
            throw new WriteFailure(e);
        }
        digest.update(b, 0, n);
        offset += n;
        lastByteNanos = System.nanoTime();
        listener.progress(n);
    }

    /** Closes a body that sent nothing for the idle timeout, so that the blocked read fails and is retried. */
    private ScheduledExecutorService startWatchdog() {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sdmodel-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        long idle = settings.idleTimeout.toNanos();
        long period = Math.max(10, Math.min(1000, settings.idleTimeout.toMillis() / 4));
        s.scheduleAtFixedRate(() -> {
            InputStream in = body;
            if (in != null && System.nanoTime() - lastByteNanos > idle) {
                stalled = true;
                body = null;
                try {
                    in.close();
                } catch (IOException e) {
                    // the read fails either way
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        return s;
    }

    private DownloadResult finish() throws IOException {
        channel.force(true);
        String sha = HexFormat.of().formatHex(digest.digest());
        if (expectedSha256 != null && !expectedSha256.equals(sha)) {
            throw new ChecksumMismatchException(uri, expectedSha256, sha, uri + ": the download's sha256 is " + sha
                    + ", not the expected " + expectedSha256 + " (another file, or corrupted on the way)");
        }
        PartRecord.clear(part);
        return new DownloadResult(part, offset, sha, from, resumedFrom, retryCount);
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The cause of a transport failure in a few words. */
    private String reason(IOException e) {
        if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
            return "unknown host";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + seconds(settings.client.connectTimeout().orElse(Duration.ZERO));
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + seconds(settings.responseTimeout);
        }
        if (has(e, NoRouteToHostException.class)) {
            return "no route to host";
        }
        if (has(e, ConnectException.class)) {
            return "connection refused";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().toLowerCase(Locale.ROOT).startsWith("connection reset") ? "connection reset" : t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    static String bytes(long n) {
        return String.format(Locale.ROOT, "%,d bytes", n);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
