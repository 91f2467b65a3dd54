package org.sdmodel.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.KnownModel;
import org.sdmodel.inspect.PredictionType;
import org.sdmodel.prune.EmaPolicy;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.WebUiTrees;

/**
 * What install-v2 does when the checkpoint is a known official release: the torch-written SD 2
 * fixture stands in for one, registered under its own sha256 as a v or an eps release.
 */
class V2InstallerTest {
    @TempDir
    Path tmp;
    Path webui;
    Path ckpt;
    String sha;

    @BeforeEach
    void setUp() throws Exception {
        webui = WebUiTrees.checkout(tmp.resolve("stable-diffusion-webui"));
        ckpt = tmp.resolve("768-v-ema.ckpt");
        Files.copy(TestFiles.testdata("sd2-v-train.ckpt"), ckpt);
        sha = ModelHashes.compute(ckpt, n -> { }).sha256();
    }

    private V2Installer knownAs(PredictionType prediction) {
        KnownModel m = new KnownModel("768-v-ema.ckpt", sha, "test release", Architecture.SD2, prediction, 768);
        return new V2Installer(s -> s.equals(sha) ? Optional.of(m) : Optional.empty());
    }

    private V2Installer.Request request(Path config) {
        return new V2Installer.Request(ckpt, layout(), config, V2Installer.Mode.COPY, false, EmaPolicy.USE, false, false);
    }

    private WebUiLayout layout() {
        return WebUiLayout.of(webui, new WebUiLayout.Environment(Map.of(), WebUiLayout.Platform.LINUX));
    }

    @Test
    void officialVReleaseIsReportedAndInstalled() throws Exception {
        V2Installer.Result r = knownAs(PredictionType.V).install(request(null), V2Installer.Progress.NONE);
        assertEquals(sha, r.sha256());
        assertTrue(r.known().isPresent());
        assertTrue(r.notes().isEmpty(), "no 'unknown prediction' note for an official file: " + r.notes());
        assertTrue(Files.exists(webui.resolve("models/Stable-diffusion/768-v-ema.yaml")));
    }

    @Test
    void officialEpsReleaseIsRefusedWithoutAConfig() {
        WebUiException e = assertThrows(WebUiException.class,
                () -> knownAs(PredictionType.EPS).install(request(null), V2Installer.Progress.NONE));
        assertEquals(WebUiException.Reason.NOT_A_V_MODEL, e.reason());
        assertTrue(e.getMessage().contains("v2-inference.yaml"), e.getMessage());
        assertTrue(Files.notExists(webui.resolve("models/Stable-diffusion/768-v-ema.yaml")), "nothing created");
    }

    @Test
    void epsConfigForAnOfficialVReleaseIsRefused() throws Exception {
        Path eps = tmp.resolve("v2-inference.yaml");
        Files.writeString(eps, new String(InferenceConfig.bundledV(), StandardCharsets.UTF_8).replace("parameterization: \"v\"", ""));
        WebUiException e = assertThrows(WebUiException.class,
                () -> knownAs(PredictionType.V).install(request(eps), V2Installer.Progress.NONE));
        assertEquals(WebUiException.Reason.BAD_CONFIG, e.reason());
        assertTrue(e.getMessage().contains("v-prediction model"), e.getMessage());
    }

    @Test
    void epsReleaseWithItsEpsConfigIsInstalled() throws Exception {
        Path eps = tmp.resolve("v2-inference.yaml");
        Files.writeString(eps, new String(InferenceConfig.bundledV(), StandardCharsets.UTF_8).replace("parameterization: \"v\"", ""));
        knownAs(PredictionType.EPS).install(request(eps), V2Installer.Progress.NONE);
        assertEquals(Files.readString(eps), Files.readString(webui.resolve("models/Stable-diffusion/768-v-ema.yaml")));
    }
}
