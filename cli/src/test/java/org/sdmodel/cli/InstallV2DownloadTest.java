package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.download.Downloader;
import org.sdmodel.webui.InferenceConfig;
import org.sdmodel.webui.V2Installer;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.TestHttpServer;
import org.sdmodel.testing.TestHttpServer.Request;
import org.sdmodel.testing.TestHttpServer.Response;

/**
 * install-v2 downloading its checkpoint from a server on 127.0.0.1 (the official address is
 * pointed there: no test reaches the internet) into a folder laid out like the web UI: the
 * {@code .part} becomes the checkpoint only after the checks, and a refusal leaves the web UI as
 * it was.
 */
@Timeout(60)
class InstallV2DownloadTest {
    @TempDir
    Path tmp;
    Path webui;
    Path folder;
    byte[] sd2;
    byte[] sd1;
    TestHttpServer server;
    final AtomicInteger cutNext = new AtomicInteger(-1);

    @BeforeEach
    void setUp() throws IOException {
        webui = tmp.resolve("stable-diffusion-webui");
        Files.createDirectories(webui.resolve("models/VAE"));
        Files.writeString(webui.resolve("launch.py"), "# the web UI's launcher\n");
        folder = webui.resolve("models/Stable-diffusion");
        sd2 = Files.readAllBytes(TestFiles.testdata("sd2-v-train.ckpt"));
        sd1 = Files.readAllBytes(TestFiles.testdata("sd1-train.ckpt"));
        server = TestHttpServer.start(this::serve);
        InstallV2Command.environment = Map.of();
        InstallV2Command.officialUrl = server.uri("/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt");
        InstallV2Command.downloaderSettings = () -> Downloader.builder().connectTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(5)).retries(2)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(20));
    }

    @AfterEach
    void tearDown() throws IOException {
        server.close();
        InstallV2Command.environment = System.getenv();
        InstallV2Command.officialUrl = URI.create(V2Installer.OFFICIAL_URL);
        InstallV2Command.downloaderSettings = Downloader::builder;
    }

    /** /sd2/* serves the SD 2 fixture, /sd1/* the SD 1 one, /login/* an HTML page; Range honoured. */
    private void serve(Request req, Response res) throws IOException {
        String path = req.target();
        if (path.startsWith("/login/")) {
            res.send(200, "<!DOCTYPE html><html><head><title>Log in</title></head></html>".getBytes(StandardCharsets.UTF_8),
                    "Content-Type: text/html");
            return;
        }
        byte[] content = path.startsWith("/sd1/") ? sd1 : sd2;
        int len = content.length;
        int cut = cutNext.getAndSet(-1);
        int end = cut < 0 ? len : cut;
        String range = req.header("Range");
        if (range != null) {
            int from = Integer.parseInt(range.substring(6, range.length() - 1));
            res.head(206, len - from, "Content-Range: bytes " + from + "-" + (len - 1) + "/" + len, "ETag: \"x\"");
            res.body(content, from, end);
        } else {
            res.head(200, len, "ETag: \"x\"");
            res.body(content, 0, end);
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private CliRunner install(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "install-v2";
        all[1] = "--webui";
        all[2] = webui.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return CliRunner.run(all);
    }

    @Test
    void aDownloadFromUrlIsInstalledWithItsConfig() throws Exception {
        URI url = server.uri("/sd2/my-sd2-v.ckpt");
        CliRunner r = install("--url", url.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertArrayEquals(sd2, Files.readAllBytes(folder.resolve("my-sd2-v.ckpt")));
        assertEquals(InferenceConfig.Kind.V_PREDICTION,
                InferenceConfig.check(Files.readAllBytes(folder.resolve("my-sd2-v.yaml"))).kind());
        assertEquals(java.util.List.of("my-sd2-v.ckpt", "my-sd2-v.yaml"), names(), "the .part became the checkpoint");
        assertTrue(r.out.contains("downloading " + url + "\n  into " + folder.resolve("my-sd2-v.ckpt.part")), r.out);
        assertTrue(r.out.contains("downloaded my-sd2-v.ckpt (") && r.out.contains("sha256 " + sha256(sd2)), r.out);
        assertTrue(r.out.contains("installed " + folder.resolve("my-sd2-v.ckpt")), r.out);
    }

    @Test
    void withoutACheckpointTheOfficialReleaseIsDownloadedAndCheckedAgainstItsSha256() throws Exception {
        Path home = tmp.resolve("home");
        assumeFalse(Files.exists(Path.of(V2Installer.DEFAULT_NAME)), "a real 768-v-ema.ckpt is in the way");
        Map<String, String> before = snapshot();
        CliRunner r = CliRunner.runWithEnvironment(Map.of("HOME", home.toString()), "install-v2", "--webui", webui.toString());
        // the fixture is SD 2-shaped but not the official file: the official sha256 refuses it
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.out.contains("no 768-v-ema.ckpt in the current folder or in " + home.resolve("Downloads")
                + ": downloading the official release"), r.out);
        assertTrue(r.out.contains("checked against the sha256 of the official 768-v-ema.ckpt"), r.out);
        assertEquals("sdmodel: " + InstallV2Command.officialUrl + ": the download's sha256 is " + sha256(sd2)
                + ", not the expected bfcaf0755797b0c30eb00a3787e8b423eb1f5decd8de76c4d824ac2dd27e139f (another file, or corrupted on the way)\n",
                r.err);
        assertEquals(before, snapshot(), "nothing left in the web UI");
        assertEquals("/stabilityai/stable-diffusion-2/resolve/main/768-v-ema.ckpt", server.requests().get(0).target());
    }

    @Test
    void theSha256GivenIsChecked() throws Exception {
        URI url = server.uri("/sd2/my-sd2-v.ckpt");
        Map<String, String> before = snapshot();
        CliRunner wrong = install("--url", url.toString(), "--sha256", sha256(sd1));
        assertEquals(ExitCode.INVALID_INPUT, wrong.exitCode, wrong.toString());
        assertTrue(wrong.err.contains("not the expected " + sha256(sd1)), wrong.err);
        assertEquals(before, snapshot());
        CliRunner right = install("--url", url.toString(), "--sha256", sha256(sd2).toUpperCase(java.util.Locale.ROOT));
        assertEquals(0, right.exitCode, right.toString());
        assertArrayEquals(sd2, Files.readAllBytes(folder.resolve("my-sd2-v.ckpt")));
    }

    @Test
    void anHtmlPageIsRefusedAndNothingIsLeft() throws Exception {
        Map<String, String> before = snapshot();
        CliRunner r = install("--url", server.uri("/login/768-v-ema.ckpt").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains(": sent an HTML page (title \"Log in\"), not a model file"), r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void aCutConnectionIsResumedAndAPartFromAnEarlierRunToo() throws Exception {
        cutNext.set(sd2.length / 2);
        CliRunner r = install("--url", server.uri("/sd2/my-sd2-v.ckpt").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.err.contains("note: 127.0.0.1: the connection closed at"), r.err);
        assertArrayEquals(sd2, Files.readAllBytes(folder.resolve("my-sd2-v.ckpt")));

        Files.createDirectories(folder);
        int kept = sd2.length / 3;
        Files.write(folder.resolve("other.ckpt.part"), Arrays.copyOf(sd2, kept));
        CliRunner again = install("--url", server.uri("/sd2/other.ckpt").toString());
        assertEquals(0, again.exitCode, again.toString());
        assertTrue(again.err.contains("note: resuming other.ckpt.part from an earlier run"), again.err);
        assertTrue(again.out.contains("resumed from"), again.out);
        assertArrayEquals(sd2, Files.readAllBytes(folder.resolve("other.ckpt")));
        assertFalse(Files.exists(folder.resolve("other.ckpt.part")));
    }

    @Test
    void anSd1DownloadIsRefusedAndDeleted() throws Exception {
        Map<String, String> before = snapshot();
        CliRunner r = install("--url", server.uri("/sd1/sd15-finetune.ckpt").toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertTrue(r.err.contains("SD 1.x") && r.err.contains("; the download was deleted"), r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void anUnreachableHostIsRefusedNamingTheProxySettings() throws Exception {
        Map<String, String> before = snapshot();
        URI nowhere = URI.create("http://127.0.0.1:" + TestHttpServer.closedPort() + "/768-v-ema.ckpt");
        CliRunner r = install("--url", nowhere.toString());
        assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
        assertEquals("sdmodel: " + nowhere + ": cannot reach 127.0.0.1 (connection refused), connecting directly (no proxy set: "
                + "http_proxy and ALL_PROXY are unset); behind a proxy, set http_proxy=http://host:port\n", r.err);
        assertEquals(before, snapshot());
    }

    @Test
    void dryRunSendsNothingAndChangesNothing() throws Exception {
        Map<String, String> before = snapshot();
        CliRunner r = install("--url", server.uri("/sd2/my-sd2-v.ckpt").toString(), "--dry-run");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("would download"), r.out);
        assertTrue(r.out.contains("would install " + folder.resolve("my-sd2-v.yaml")), r.out);
        assertEquals(0, server.requests().size());
        assertEquals(before, snapshot());
    }

    @Test
    void usageErrorsAreRefusedBeforeAnyRequest() throws Exception {
        String url = server.uri("/sd2/my-sd2-v.ckpt").toString();
        String[][] cases = {
            {"--url", url, TestFiles.testdata("sd2-v-train.ckpt").toString()},
            {"--url", url, "--sha256", "abc"},
            {"--url", "ftp://host/x.ckpt"},
            {"--url", server.uri("/sd2/download?id=3").toString()},
            {"--url", url, "--move"},
            {TestFiles.testdata("sd2-v-train.ckpt").toString(), "--sha256", sha256Of("x")},
        };
        for (String[] args : cases) {
            CliRunner r = install(args);
            assertEquals(ExitCode.USAGE, r.exitCode, String.join(" ", args) + "\n" + r);
        }
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("my-sd2-v.ckpt"), "already here");
        CliRunner exists = install("--url", url);
        assertEquals(ExitCode.USAGE, exists.exitCode, exists.toString());
        assertTrue(exists.err.contains("already exists; not downloading over it (use --force"), exists.err);
        assertEquals(0, server.requests().size());
    }

    /**
     * The README's download examples, as written, with their address's scheme and host pointed
     * at the local server (the path kept) and {@code ~/stable-diffusion-webui} at the test's web UI.
     */
    @Test
    void theReadmeDownloadExamplesRunAsWritten() throws Exception {
        String readme = Files.readString(TestFiles.projectRoot().resolve("README.md"));
        int section = readme.indexOf("#### Downloading the checkpoint");
        String block = readme.substring(readme.indexOf("```sh", section) + 5, readme.indexOf("```", readme.indexOf("```sh", section) + 5));
        java.util.List<String> examples = block.lines().map(String::strip).filter(l -> l.startsWith("sdmodel install-v2")).toList();
        assertEquals(2, examples.size(), block);
        for (String example : examples) {
            java.util.List<String> args = new java.util.ArrayList<>();
            for (String word : example.split("#")[0].strip().split("\\s+")) {
                args.add(word.equals("~/stable-diffusion-webui") ? webui.toString()
                        : word.replaceFirst("^https://[^/]+", "http://127.0.0.1:" + server.port() + "/sd2"));
            }
            CliRunner r = CliRunner.run(args.subList(1, args.size()).toArray(new String[0]));
            String path = java.net.URI.create(example.replaceAll(".*--url (\\S+).*", "$1")).getPath();
            assertEquals("/sd2" + path, server.requests().get(server.requests().size() - 1).target(), example);
            if (path.endsWith("/768-v-ema.ckpt")) {
                // a mirror of the official file is checked against the official sha256: the fixture is not it
                assertEquals(ExitCode.INVALID_INPUT, r.exitCode, r.toString());
                assertTrue(r.err.contains("not the expected bfcaf0755797b0c30eb00a3787e8b423eb1f5decd8de76c4d824ac2dd27e139f"), r.err);
            } else {
                assertEquals(0, r.exitCode, example + "\n" + r);
                assertArrayEquals(sd2, Files.readAllBytes(folder.resolve(path.substring(path.lastIndexOf('/') + 1))));
            }
        }
    }

    private static String sha256Of(String s) throws Exception {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private java.util.List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Every file under the web UI folder with its size and modification time. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(webui)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put(webui.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }
}
