package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built launcher, {@code cli/target/sdmodel} (a shell stub and the jar), run as a user runs
 * it: with the class-data-sharing archive the build made beside it, and without a usable one.
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("target", "sdmodel").toAbsolutePath();
    private static final Path FIXTURE = Path.of("..", "testdata", "sd1-train.ckpt").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(Path launcher, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        // the JDK that built the archive, as the launcher finds it through JAVA_HOME
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("SDMODEL_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void theBuildMadeAnArchiveThatTheLauncherMaps() throws Exception {
        assertTrue(Files.isRegularFile(Path.of(LAUNCHER + ".jsa")), "the build made no sdmodel.jsa");
        Run r = run(LAUNCHER, Map.of("SDMODEL_JAVA_OPTS", "-Xlog:class+load"), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("org.sdmodel.cli.Main source: shared objects file (top)"),
                "Main was not loaded from the archive");
    }

    @Test
    void versionPrintsOneLineAndNothingElse() throws Exception {
        Run r = run(LAUNCHER, Map.of(), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("sdmodel \\S.*\\n"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void anArchiveTheJvmCannotUseIsIgnoredSilently() throws Exception {
        Path copy = tmp.resolve("sdmodel");
        Files.copy(LAUNCHER, copy, StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(tmp.resolve("sdmodel.jsa"), "not an archive");
        Run r = run(copy, Map.of(), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("sdmodel \\S.*\\n"), "stdout: " + r.out());
        assertEquals("", r.err());
        // an archive made for the launcher in target/ does not fit a copy elsewhere either
        Files.copy(Path.of(LAUNCHER + ".jsa"), tmp.resolve("sdmodel.jsa"), StandardCopyOption.REPLACE_EXISTING);
        r = run(copy, Map.of(), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("sdmodel \\S.*\\n"), "stdout: " + r.out());
        assertEquals("", r.err());
    }

    @Test
    void prunesTheBundledCheckpoint() throws Exception {
        Path out = tmp.resolve("out.safetensors");
        Run r = run(LAUNCHER, Map.of(), "prune", FIXTURE.toString(), "-o", out.toString(), "--quiet");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.size(out) > 8, "no output");
        // a bad input: one line on stderr naming the file, exit 1
        Path bad = Files.writeString(tmp.resolve("bad.ckpt"), "not a checkpoint");
        r = run(LAUNCHER, Map.of(), "prune", bad.toString(), "-o", tmp.resolve("bad.safetensors").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("sdmodel: ") && r.err().contains("bad.ckpt") && r.err().lines().count() == 1, r.err());
        assertEquals("", r.out());
    }
}
