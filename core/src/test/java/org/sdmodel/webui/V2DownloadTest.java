package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.download.DownloadListener;
import org.sdmodel.download.Downloader;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.KnownModel;
import org.sdmodel.inspect.KnownModels;
import org.sdmodel.inspect.PredictionType;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.TestHttpServer;
import org.sdmodel.testing.WebUiTrees;
import org.sdmodel.prune.EmaPolicy;

/**
 * A download's way into the web UI: the plan from the address, the {@code .part} renamed into
 * place only after the installer's checks, and what is kept or deleted when they refuse.
 */
@Timeout(60)
class V2DownloadTest {
    @TempDir
    Path tmp;
    Path webui;
    Path folder;
    byte[] sd2;
    String sha;
    TestHttpServer server;

    @BeforeEach
    void setUp() throws Exception {
        webui = WebUiTrees.checkout(tmp.resolve("stable-diffusion-webui"));
        folder = webui.resolve("models/Stable-diffusion");
        sd2 = Files.readAllBytes(TestFiles.testdata("sd2-v-train.ckpt"));
        sha = ModelHashes.compute(TestFiles.testdata("sd2-v-train.ckpt"), n -> { }).sha256();
        server = TestHttpServer.start((req, res) -> res.send(200, sd2));
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private static Downloader downloader() {
        return Downloader.builder().environment(Map.of()).retries(0).build();
    }

    private V2Installer knownAs(PredictionType prediction) {
        KnownModel m = new KnownModel("sd2.ckpt", sha, "test release", Architecture.SD2, prediction, 768);
        return new V2Installer(s -> s.equals(sha) ? Optional.of(m) : Optional.empty());
    }

    private WebUiLayout layout() {
        return WebUiLayout.of(webui, new WebUiLayout.Environment(Map.of(), WebUiLayout.Platform.LINUX));
    }

    private V2Installer.Request options(boolean prune) {
        return new V2Installer.Request(null, layout(), null, V2Installer.Mode.MOVE, prune, EmaPolicy.USE, false, false);
    }

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(" here.txt")).sorted().toList();
        }
    }

    @Test
    void thePlanNamesTheFileAndExpectsTheOfficialSha256ByName() throws Exception {
        URI hub = URI.create(V2Installer.OFFICIAL_URL);
        V2Download.Plan p = V2Download.plan(hub, layout(), null, false);
        assertEquals(folder.resolve("768-v-ema.ckpt"), p.target());
        assertEquals(folder.resolve("768-v-ema.ckpt.part"), p.part());
        assertEquals(KnownModels.byFileName("768-v-ema.ckpt").get().sha256(), p.expectedSha256());
        assertEquals("768-v-ema.ckpt", p.release().get().fileName());
        V2Download.Plan given = V2Download.plan(hub, layout(), "AB".repeat(32), false);
        assertEquals("ab".repeat(32), given.expectedSha256());
        assertTrue(given.release().isEmpty());
        assertEquals(null, V2Download.plan(URI.create("https://hf-mirror.com/x/resolve/main/my-finetune.safetensors?download=true"),
                layout(), null, false).expectedSha256());
        for (String bad : List.of("https://civitai.com/api/download/models/12345", "https://host/", "https://host/dir/.hidden.ckpt",
                "https://host/model.ckpt.zip")) {
            WebUiException e = assertThrows(WebUiException.class, () -> V2Download.plan(URI.create(bad), layout(), null, false), bad);
            assertEquals(WebUiException.Reason.BAD_URL, e.reason());
        }
        assertEquals(List.of(), names(), "a plan writes nothing");
    }

    @Test
    void theDownloadIsMovedIntoPlaceWithoutHashingAgain() throws Exception {
        V2Download.Plan p = V2Download.plan(server.uri("/sd2.ckpt"), layout(), null, false);
        V2Download.Outcome o = V2Download.run(p, options(false), downloader(), DownloadListener.NONE, knownAs(PredictionType.V),
                (label, total) -> {
                    throw new AssertionError("no long step expected (a download is renamed, not copied or hashed): " + label);
                });
        assertEquals(List.of("sd2.ckpt", "sd2.yaml"), names());
        assertArrayEquals(sd2, Files.readAllBytes(folder.resolve("sd2.ckpt")));
        assertEquals("test release", o.install().known().get().release(), "the download's sha256 identified the release");
    }

    @Test
    void aRefusalASecondRunCanFixKeepsTheCompleteDownload() throws Exception {
        V2Download.Plan p = V2Download.plan(server.uri("/sd2.ckpt"), layout(), null, false);
        WebUiException e = assertThrows(WebUiException.class, () -> V2Download.run(p, options(false), downloader(),
                DownloadListener.NONE, knownAs(PredictionType.EPS), V2Installer.Progress.NONE));
        assertEquals(WebUiException.Reason.NOT_A_V_MODEL, e.reason());
        assertTrue(e.getMessage().endsWith("; the download is kept as " + p.part()
                + " (the web UI does not list it): the same command with that fixed installs it without downloading again"), e.getMessage());
        assertEquals(List.of("sd2.ckpt.part"), names());
        // the rerun with --config: the complete .part is taken as it is (the server answers 416 to its Range)
        Path eps = tmp.resolve("v2-inference.yaml");
        Files.writeString(eps, new String(InferenceConfig.bundledV(), java.nio.charset.StandardCharsets.UTF_8)
                .replace("parameterization: \"v\"", "").replace("parameterization: v", ""));
        server.close();
        int[] ranges = {0};
        server = TestHttpServer.start((req, res) -> {
            if (req.header("Range") != null) {
                ranges[0]++;
                res.head(416, 0, "Content-Range: bytes */" + sd2.length);
            } else {
                res.send(200, sd2);
            }
        });
        V2Download.Plan again = V2Download.plan(server.uri("/sd2.ckpt"), layout(), null, false);
        V2Download.run(again, new V2Installer.Request(null, layout(), eps, V2Installer.Mode.MOVE, false, EmaPolicy.USE, false, false), downloader(),
                DownloadListener.NONE, knownAs(PredictionType.EPS), V2Installer.Progress.NONE);
        assertEquals(1, ranges[0]);
        assertEquals(List.of("sd2.ckpt", "sd2.yaml"), names());
    }

    @Test
    void pruningInstallsThePrunedCopyAndDropsTheDownload() throws Exception {
        // an EMA-free SD 2 checkpoint prunes by default: served as the download
        Path clean = tmp.resolve("clean.safetensors");
        try (ModelFile m = ModelFile.open(TestFiles.testdata("sd2-v-train.ckpt"))) {
            org.sdmodel.prune.PrunePlan plan = org.sdmodel.prune.PrunePlan.of(m, org.sdmodel.prune.PruneOptions.defaults()
                    .withEma(org.sdmodel.prune.EmaPolicy.DROP));
            org.sdmodel.engine.ModelWriter.write(plan.tensors(Map.of()), clean, org.sdmodel.engine.WriteOptions.defaults());
        }
        byte[] body = Files.readAllBytes(clean);
        server.close();
        server = TestHttpServer.start((req, res) -> res.send(200, body));
        V2Download.Plan p = V2Download.plan(server.uri("/sd2.safetensors"), layout(), null, false);
        V2Download.run(p, options(true), downloader(), DownloadListener.NONE, new V2Installer(), V2Installer.Progress.NONE);
        assertEquals(List.of("sd2.safetensors", "sd2.yaml"), names());
    }
}
