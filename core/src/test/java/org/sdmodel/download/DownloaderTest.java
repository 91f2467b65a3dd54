package org.sdmodel.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.testing.TestHttpServer;
import org.sdmodel.testing.TestHttpServer.Request;
import org.sdmodel.testing.TestHttpServer.Response;
import org.sdmodel.testing.Tmpfs;

/**
 * Downloads from a server on 127.0.0.1 started by each test, which cuts connections, stalls,
 * ignores Range, lies about lengths, answers HTML with status 200, or acts as a proxy. No test
 * reaches the internet; each is bounded in time.
 */
@Timeout(60)
class DownloaderTest {
    @TempDir
    Path dir;

    /** A torch-zip-looking body: the zip magic, then 3 MiB of seeded random bytes. */
    static final byte[] MODEL = model(3 << 20, 1);
    static final String ETAG = "\"v1\"";

    static byte[] model(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        b[0] = 'P';
        b[1] = 'K';
        b[2] = 3;
        b[3] = 4;
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static Downloader.Builder quick() {
        return Downloader.builder().environment(Map.of()).connectTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(5)).retries(3)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(50));
    }

    /** Records what the downloader says. */
    static final class Recorder implements DownloadListener {
        final List<String> notices = new ArrayList<>();
        final List<long[]> starts = new ArrayList<>();
        final AtomicLong progress = new AtomicLong();

        @Override
        public void started(long offset, long total) {
            starts.add(new long[] {offset, total});
        }

        @Override
        public void progress(long bytes) {
            progress.addAndGet(bytes);
        }

        @Override
        public void notice(String message) {
            notices.add(message);
        }

        boolean said(String fragment) {
            return notices.stream().anyMatch(n -> n.contains(fragment));
        }
    }

    /**
     * Serves {@code content} as a file server does: {@code Range: bytes=N-} answered 206 with a
     * Content-Range when {@code ranges}, {@code If-Range} honoured (a different tag: the whole
     * file, 200); the body stops at byte {@code cutAt} (absolute) and the connection closes.
     */
    static void serve(Request req, Response res, byte[] content, String etag, boolean ranges, int cutAt) throws IOException {
        int len = content.length;
        int end = cutAt < 0 ? len : Math.min(cutAt, len);
        String range = req.header("Range");
        String ifRange = req.header("If-Range");
        if (ranges && range != null && (ifRange == null || ifRange.equals(etag))) {
            int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            if (from >= len) {
                res.head(416, 0, "Content-Range: bytes */" + len);
                return;
            }
            res.head(206, len - from, "Content-Range: bytes " + from + "-" + (len - 1) + "/" + len, "ETag: " + etag,
                    "Accept-Ranges: bytes");
            res.body(content, from, Math.max(from, end));
            return;
        }
        res.head(200, len, "ETag: " + etag, "Content-Type: application/octet-stream");
        res.body(content, 0, end);
    }

    private Path part() {
        return dir.resolve("768-v-ema.ckpt.part");
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void downloadsTheWholeFileIntoThePartAndChecksIt() throws Exception {
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/768-v-ema.ckpt"), part(), sha256(MODEL), rec);
            assertEquals(part(), r.file());
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals(sha256(MODEL), r.sha256());
            assertEquals(MODEL.length, r.size());
            assertEquals(0, r.resumedFrom());
            assertEquals(0, r.retries());
            assertEquals(1, rec.starts.size());
            assertArrayEquals(new long[] {0, MODEL.length}, rec.starts.get(0));
            assertEquals(MODEL.length, rec.progress.get());
            assertEquals(List.of(), rec.notices);
            assertNull(server.requests().get(0).header("Range"));
            assertNull(PartRecord.read(part()), "a finished file carries no download record");
        }
    }

    @Test
    void aConnectionCutHalfWayIsResumedWithARangeRequest() throws Exception {
        int half = MODEL.length / 2;
        AtomicInteger n = new AtomicInteger();
        try (TestHttpServer server = TestHttpServer.start((req, res) ->
                serve(req, res, MODEL, ETAG, true, n.getAndIncrement() == 0 ? half : -1))) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/768-v-ema.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals(1, r.retries());
            List<Request> reqs = server.requests();
            assertEquals(2, reqs.size());
            assertEquals("bytes=" + half + "-", reqs.get(1).header("Range"));
            assertEquals(ETAG, reqs.get(1).header("If-Range"), "the resumed request names the version it continues");
            assertTrue(rec.said("the connection closed at " + Transfer.bytes(half)), rec.notices.toString());
            assertTrue(rec.said("retrying in"), rec.notices.toString());
            assertArrayEquals(new long[] {half, MODEL.length}, rec.starts.get(1));
        }
    }

    @Test
    void aStalledConnectionIsCutAndResumed() throws Exception {
        int third = MODEL.length / 3;
        AtomicInteger n = new AtomicInteger();
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            if (n.getAndIncrement() == 0) {
                res.head(200, MODEL.length, "ETag: " + ETAG);
                res.body(MODEL, 0, third);
                Thread.sleep(30_000); // sends nothing more; the server's close ends this
            } else {
                serve(req, res, MODEL, ETAG, true, -1);
            }
        })) {
            Recorder rec = new Recorder();
            long t0 = System.nanoTime();
            quick().idleTimeout(Duration.ofMillis(400)).build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertTrue(rec.said("no data for 0.4 s at " + Transfer.bytes(third)), rec.notices.toString());
            assertEquals("bytes=" + third + "-", server.requests().get(1).header("Range"));
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "the stall was cut by the idle timeout");
        }
    }

    @Test
    void aServerWithoutRangeSupportRestartsFromZeroSayingSo() throws Exception {
        int half = MODEL.length / 2;
        AtomicInteger n = new AtomicInteger();
        try (TestHttpServer server = TestHttpServer.start((req, res) ->
                serve(req, res, MODEL, ETAG, false, n.getAndIncrement() == 0 ? half : -1))) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals("bytes=" + half + "-", server.requests().get(1).header("Range"), "resuming was asked for");
            assertTrue(rec.said("the server ignored the request to resume (it answered 200, not 206): downloading again from zero"),
                    rec.notices.toString());
            assertArrayEquals(new long[] {0, MODEL.length}, rec.starts.get(1));
            assertEquals(MODEL.length, r.size());
        }
    }

    @Test
    void aPartFromAnEarlierRunIsResumed() throws Exception {
        int kept = MODEL.length * 2 / 5;
        Files.write(part(), Arrays.copyOf(MODEL, kept)); // e.g. from a file system without extended attributes
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals(kept, r.resumedFrom());
            assertEquals(1, server.requests().size());
            assertEquals("bytes=" + kept + "-", server.requests().get(0).header("Range"));
            assertNull(server.requests().get(0).header("If-Range"), "no record of the version: no validator to send");
            assertTrue(rec.said("resuming 768-v-ema.ckpt.part from an earlier run: " + Transfer.bytes(kept) + " already downloaded"),
                    rec.notices.toString());
            assertEquals(MODEL.length - kept, rec.progress.get());
        }
    }

    @Test
    void anInterruptedRunLeavesAPartThatTheNextRunResumesWithIfRange() throws Exception {
        int cut = MODEL.length * 3 / 10;
        AtomicBoolean cutting = new AtomicBoolean(true);
        try (TestHttpServer server = TestHttpServer.start((req, res) ->
                serve(req, res, MODEL, ETAG, true, cutting.get() ? cut : -1))) {
            UnreachableException e = assertThrows(UnreachableException.class,
                    () -> quick().retries(0).build().download(server.uri("/m.ckpt"), part(), null, null));
            assertEquals(cut, e.bytesKept());
            assertTrue(e.getMessage().contains("the " + Transfer.bytes(cut) + " downloaded are kept in " + part()
                    + ": run again to resume"), e.getMessage());
            assertEquals(cut, Files.size(part()));
            PartRecord record = PartRecord.read(part());
            assumeTrue(record != null, "no extended attributes on " + dir);
            assertEquals(new PartRecord(server.uri("/m.ckpt").toString(), ETAG, null, MODEL.length), record);

            cutting.set(false);
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals(cut, r.resumedFrom());
            Request resumed = server.requests().get(1);
            assertEquals("bytes=" + cut + "-", resumed.header("Range"));
            assertEquals(ETAG, resumed.header("If-Range"));
            assertTrue(rec.said("resuming"), rec.notices.toString());
        }
    }

    @Test
    void aFileChangedOnTheServerIsDownloadedAgainNotSplicedOntoTheOldPart() throws Exception {
        byte[] newer = model(MODEL.length, 2);
        int cut = MODEL.length / 4;
        AtomicBoolean updated = new AtomicBoolean();
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            if (updated.get()) {
                serve(req, res, newer, "\"v2\"", true, -1);
            } else {
                serve(req, res, MODEL, ETAG, true, cut);
            }
        })) {
            assertThrows(UnreachableException.class, () -> quick().retries(0).build().download(server.uri("/m.ckpt"), part(), null, null));
            assumeTrue(PartRecord.read(part()) != null, "no extended attributes on " + dir);
            updated.set(true);
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), null, rec);
            assertArrayEquals(newer, Files.readAllBytes(part()));
            assertEquals(sha256(newer), r.sha256());
            assertEquals(ETAG, server.requests().get(1).header("If-Range"));
            assertTrue(rec.said("the file on the server changed since 768-v-ema.ckpt.part was started: downloading again from zero"),
                    rec.notices.toString());
        }
    }

    static Stream<Arguments> pagesInsteadOfModels() {
        return Stream.of(
                Arguments.of("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Sign in - Hugging Face</title></head>"
                        + "<body><form>...</form></body></html>\n", "text/html; charset=utf-8", "an HTML page",
                        "title \"Sign in - Hugging Face\""),
                Arguments.of("{\"error\":\"Access to model stabilityai/x is restricted. You must be authenticated.\"}",
                        "application/json", "JSON", "Access to model stabilityai/x is restricted"),
                Arguments.of("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired"
                        + "</Message></Error>", "application/xml", "an XML document", "AccessDenied Request has expired"),
                Arguments.of("version https://git-lfs.github.com/spec/v1\noid sha256:bfcaf07557\nsize 5214604442\n", "text/plain",
                        "text", "version https://git-lfs.github.com/spec/v1 oid sha256:bfcaf07557"),
                Arguments.of("", "application/octet-stream", "an empty body", ""));
    }

    @ParameterizedTest
    @MethodSource("pagesInsteadOfModels")
    void aPageAnswering200IsRefusedBeforeAnythingIsWritten(String page, String type, String found, String detail) throws Exception {
        byte[] body = page.getBytes(StandardCharsets.UTF_8);
        try (TestHttpServer server = TestHttpServer.start((req, res) -> res.send(200, body, "Content-Type: " + type))) {
            URI uri = server.uri("/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt");
            NotAModelException e = assertThrows(NotAModelException.class, () -> quick().build().download(uri, part(), null, null));
            assertEquals(found, e.found());
            assertTrue(e.getMessage().startsWith(uri + ": sent " + found), e.getMessage());
            assertTrue(e.getMessage().contains(detail), e.getMessage());
            assertTrue(e.getMessage().endsWith("not a model file (a login page or an error page?)"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertEquals(List.of(), files(), "nothing left");
        }
    }

    @Test
    void aWrongSha256IsRefusedAndNothingIsLeft() throws Exception {
        String other = sha256(model(10, 3));
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                    () -> quick().build().download(server.uri("/m.ckpt"), part(), other.toUpperCase(java.util.Locale.ROOT), null));
            assertEquals(other, e.expected());
            assertEquals(sha256(MODEL), e.actual());
            assertTrue(e.getMessage().contains("sha256 is " + sha256(MODEL) + ", not the expected " + other), e.getMessage());
            assertEquals(List.of(), files());
        }
    }

    @Test
    void aBodyShortOfItsContentLengthIsRefusedAfterTheRetriesGetNoFurther() throws Exception {
        int sent = MODEL.length * 6 / 10;
        // The file on the server is shorter than announced: every answer stops at the same byte.
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, sent))) {
            TruncatedDownloadException e = assertThrows(TruncatedDownloadException.class,
                    () -> quick().retries(2).build().download(server.uri("/m.ckpt"), part(), null, null));
            assertEquals(sent, e.received());
            assertEquals(MODEL.length, e.expected());
            assertTrue(e.getMessage().contains("the server ended the body at " + Transfer.bytes(sent) + " of the "
                    + Transfer.bytes(MODEL.length) + " it announced (2 retries brought nothing more)"), e.getMessage());
            assertEquals(3, server.requests().size());
            assertEquals(List.of(), files(), "nothing left");
        }
        // The same from a server without Range: every answer starts again and stops short.
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, false, sent))) {
            TruncatedDownloadException e = assertThrows(TruncatedDownloadException.class,
                    () -> quick().retries(2).build().download(server.uri("/m.ckpt"), part(), null, null));
            assertEquals(sent, e.received());
            assertEquals(List.of(), files());
        }
    }

    @Test
    void tooLittleSpaceIsRefusedBeforeWriting() throws Exception {
        try (Tmpfs small = Tmpfs.mount(dir.resolve("small"), "size=256k");
                TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Path p = small.path().resolve("768-v-ema.ckpt.part");
            InsufficientSpaceException e = assertThrows(InsufficientSpaceException.class,
                    () -> quick().build().download(server.uri("/m.ckpt"), p, null, null));
            assertEquals(MODEL.length, e.needed());
            assertTrue(e.getMessage().contains("for the download of 768-v-ema.ckpt.part: needs 3 MiB"), e.getMessage());
            try (Stream<Path> left = Files.list(small.path())) {
                assertEquals(List.of(), left.toList(), "nothing left");
            }
        }
    }

    @Test
    void anUnreachableHostIsRefusedNamingTheProxySettings() throws Exception {
        URI nowhere = URI.create("http://127.0.0.1:" + TestHttpServer.closedPort() + "/768-v-ema.ckpt");
        UnreachableException direct = assertThrows(UnreachableException.class,
                () -> quick().build().download(nowhere, part(), null, null));
        assertEquals(nowhere + ": cannot reach 127.0.0.1 (connection refused), connecting directly (no proxy set: "
                + "http_proxy and ALL_PROXY are unset); behind a proxy, set http_proxy=http://host:port", direct.getMessage());
        assertEquals(List.of(), files());

        int proxyPort = TestHttpServer.closedPort();
        URI hub = URI.create("http://models.example/768-v-ema.ckpt");
        UnreachableException viaProxy = assertThrows(UnreachableException.class,
                () -> quick().environment(Map.of("http_proxy", "127.0.0.1:" + proxyPort)).build().download(hub, part(), null, null));
        assertEquals(hub + ": cannot reach the proxy 127.0.0.1:" + proxyPort + " (from http_proxy) for models.example "
                + "(connection refused); check that setting, or list the host in NO_PROXY to connect directly",
                viaProxy.getMessage());
        assertEquals(List.of(), files());
    }

    @Test
    void aProxyFromTheEnvironmentIsUsedWithItsCredentials() throws Exception {
        String expectedAuth = "Basic " + Base64.getEncoder().encodeToString("me:p@ss".getBytes(StandardCharsets.UTF_8));
        try (TestHttpServer proxy = TestHttpServer.start((req, res) -> {
            if (!expectedAuth.equals(req.header("Proxy-Authorization"))) {
                res.send(407, new byte[0], "Proxy-Authenticate: Basic realm=\"corp\"");
                return;
            }
            serve(req, res, MODEL, ETAG, true, -1);
        })) {
            URI uri = URI.create("http://models.example/768-v-ema.ckpt"); // never resolved: the proxy fetches it
            Downloader d = quick().environment(Map.of("http_proxy", "http://me:p%40ss@127.0.0.1:" + proxy.port())).build();
            assertEquals("through the proxy 127.0.0.1:" + proxy.port() + " (from http_proxy)", d.route(uri));
            DownloadResult r = d.download(uri, part(), sha256(MODEL), null);
            assertEquals(sha256(MODEL), r.sha256());
            List<Request> seen = proxy.requests();
            assertEquals(uri.toString(), seen.get(seen.size() - 1).target(), "an absolute-form request, as to a proxy");
            assertNull(seen.get(0).header("Proxy-Authorization"));
            assertEquals(expectedAuth, seen.get(seen.size() - 1).header("Proxy-Authorization"));
        }
    }

    @Test
    void noProxyConnectsDirectly() throws Exception {
        int deadProxy = TestHttpServer.closedPort();
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Downloader d = quick().environment(Map.of("http_proxy", "127.0.0.1:" + deadProxy, "NO_PROXY", "localhost,127.0.0.1")).build();
            DownloadResult r = d.download(server.uri("/m.ckpt"), part(), sha256(MODEL), null);
            assertEquals(MODEL.length, r.size());
            assertEquals("/m.ckpt", server.requests().get(0).target(), "an origin-form request: no proxy");
        }
    }

    @Test
    void redirectsAreFollowedAndEveryHopKeepsTheRange() throws Exception {
        int half = MODEL.length / 2;
        AtomicInteger cdnRequests = new AtomicInteger();
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            if (req.target().startsWith("/hub/")) {
                res.send(302, new byte[0], "Location: /cdn/768-v-ema.ckpt?X-Amz-Signature=abc%2F" + cdnRequests.get());
            } else {
                serve(req, res, MODEL, ETAG, true, cdnRequests.getAndIncrement() == 0 ? half : -1);
            }
        })) {
            DownloadResult r = quick().build().download(server.uri("/hub/768-v-ema.ckpt"), part(), sha256(MODEL), null);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertEquals("/cdn/768-v-ema.ckpt", r.from().getPath());
            List<Request> reqs = server.requests();
            assertEquals(4, reqs.size());
            assertEquals("/hub/768-v-ema.ckpt", reqs.get(2).target());
            assertEquals("bytes=" + half + "-", reqs.get(2).header("Range"));
            assertEquals("bytes=" + half + "-", reqs.get(3).header("Range"));
            assertEquals(ETAG, reqs.get(3).header("If-Range"));
        }
    }

    @Test
    void httpErrorsAreRefusedAndServerErrorsRetried() throws Exception {
        try (TestHttpServer server = TestHttpServer.start((req, res) -> res.send(404, "Entry not found".getBytes(StandardCharsets.UTF_8)))) {
            HttpStatusException e = assertThrows(HttpStatusException.class,
                    () -> quick().build().download(server.uri("/nope.ckpt"), part(), null, null));
            assertEquals(404, e.status());
            assertEquals(server.uri("/nope.ckpt") + ": not found (HTTP 404): check the address", e.getMessage());
            assertEquals(1, server.requests().size(), "a 404 is not retried");
            assertEquals(List.of(), files());
        }
        AtomicInteger n = new AtomicInteger();
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            if (n.getAndIncrement() < 2) {
                res.send(503, new byte[0], "Retry-After: 0");
            } else {
                serve(req, res, MODEL, ETAG, true, -1);
            }
        })) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertEquals(2, r.retries());
            assertTrue(rec.said("the server answered HTTP 503; retrying in"), rec.notices.toString());
        }
    }

    @Test
    void aPartAlreadyCompleteIsCheckedWithoutDownloadingAgain() throws Exception {
        Files.write(part(), MODEL);
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Recorder rec = new Recorder();
            DownloadResult r = quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertEquals(sha256(MODEL), r.sha256());
            assertEquals(MODEL.length, r.resumedFrom());
            assertEquals("bytes=" + MODEL.length + "-", server.requests().get(0).header("Range"));
            assertEquals(0, rec.progress.get());
        }
    }

    @Test
    void aContentRangeOtherThanTheOneAskedForIsRefusedAndThePartKept() throws Exception {
        int kept = MODEL.length / 3;
        Files.write(part(), Arrays.copyOf(MODEL, kept));
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            res.head(206, MODEL.length, "Content-Range: bytes 0-" + (MODEL.length - 1) + "/" + MODEL.length);
            res.body(MODEL, 0, MODEL.length);
        })) {
            DownloadException e = assertThrows(DownloadException.class,
                    () -> quick().build().download(server.uri("/m.ckpt"), part(), null, null));
            assertTrue(e.getMessage().endsWith(": answered bytes 0- when asked for bytes " + kept + "-"), e.getMessage());
            assertEquals(kept, Files.size(part()), "what was downloaded is kept");
        }
    }

    @Test
    void aPartThatIsNoModelIsDownloadedAgainFromZero() throws Exception {
        Files.writeString(part(), "<!DOCTYPE html><html><head><title>Sign in</title></head>" + "x".repeat(2000));
        try (TestHttpServer server = TestHttpServer.start((req, res) -> serve(req, res, MODEL, ETAG, true, -1))) {
            Recorder rec = new Recorder();
            quick().build().download(server.uri("/m.ckpt"), part(), sha256(MODEL), rec);
            assertArrayEquals(MODEL, Files.readAllBytes(part()));
            assertNull(server.requests().get(0).header("Range"));
            assertTrue(rec.said("768-v-ema.ckpt.part does not start like a model file: downloading again from zero"), rec.notices.toString());
        }
    }

    @Test
    void anHtmlAnswerToAResumeKeepsTheEarlierPart() throws Exception {
        int kept = MODEL.length / 3;
        Files.write(part(), Arrays.copyOf(MODEL, kept));
        byte[] login = "<html><head><title>Log in</title></head></html>".getBytes(StandardCharsets.UTF_8);
        try (TestHttpServer server = TestHttpServer.start((req, res) -> res.send(200, login, "Content-Type: text/html"))) {
            NotAModelException e = assertThrows(NotAModelException.class,
                    () -> quick().build().download(server.uri("/m.ckpt"), part(), null, null));
            assertTrue(e.getMessage().endsWith("768-v-ema.ckpt.part from the earlier run is kept"), e.getMessage());
            assertArrayEquals(Arrays.copyOf(MODEL, kept), Files.readAllBytes(part()));
        }
    }

    @Test
    void aSecondDownloadIntoTheSamePartIsRefused() throws Exception {
        java.util.concurrent.CountDownLatch streaming = new java.util.concurrent.CountDownLatch(1);
        try (TestHttpServer server = TestHttpServer.start((req, res) -> {
            res.head(200, MODEL.length, "ETag: " + ETAG);
            res.body(MODEL, 0, 4096);
            streaming.countDown();
            Thread.sleep(30_000);
        })) {
            Thread first = new Thread(() -> {
                try {
                    quick().retries(0).build().download(server.uri("/m.ckpt"), part(), null, null);
                } catch (IOException e) {
                    // ends when the server closes
                }
            });
            first.start();
            assertTrue(streaming.await(20, java.util.concurrent.TimeUnit.SECONDS));
            DownloadException e = assertThrows(DownloadException.class,
                    () -> quick().build().download(server.uri("/m.ckpt"), part(), null, null));
            assertEquals(part() + ": another download is writing it", e.getMessage());
            server.close();
            first.join(20_000);
        }
    }
}
