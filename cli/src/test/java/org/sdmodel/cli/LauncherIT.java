package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
        return finish(pb.start());
    }

    private static Run finish(Process p) throws IOException, InterruptedException {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void theBuildMadeAnArchiveThatTheLauncherMaps() throws Exception {
        assertTrue(Files.isRegularFile(Path.of(LAUNCHER + ".jsa")), "the build made no sdmodel.jsa");
        Run r = run(LAUNCHER, Map.of("SDMODEL_JAVA_OPTS", "-Xlog:class+load"), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("org.sdmodel.cli.Main source: shared objects file"),
                "Main was not loaded from the archive");
        if (Runtime.version().feature() == 17) {
            // the reason for a static archive: JDK 17 keeps picocli's Java 5 classes in one (later JDKs do not)
            assertTrue(r.out().contains("picocli.CommandLine source: shared objects file"),
                    "picocli was not loaded from the archive");
        }
    }

    /** The archive replaces the JDK's own: another JDK, or a launcher moved away from it, must not be given it. */
    @Test
    void theArchiveIsGivenOnlyToTheJdkAndTheLauncherItWasMadeFor() throws Exception {
        Path copy = tmp.resolve("sdmodel");
        Files.copy(LAUNCHER, copy, StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(Path.of(LAUNCHER + ".jsa"), tmp.resolve("sdmodel.jsa"));
        List<String> made = Files.readAllLines(Path.of(LAUNCHER + ".jsa.for"));
        assertEquals(List.of(Path.of(System.getProperty("java.home")).toRealPath().toString(),
                LAUNCHER.toRealPath().toString()), made);
        for (List<String> forWhat : List.of(List.of(made.get(0), LAUNCHER.toString()), List.of("/nowhere/jdk",
                copy.toRealPath().toString()))) {
            Files.write(tmp.resolve("sdmodel.jsa.for"), forWhat);
            Run r = run(copy, Map.of("SDMODEL_JAVA_OPTS", "-Xlog:class+load"), "--version");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("org.sdmodel.cli.Main source: file:"), forWhat + ": " + r.out().lines()
                    .filter(l -> l.contains("sdmodel.cli.Main ")).toList());
            assertEquals("", r.err());
        }
    }

    /** A link to the launcher (how it is often put on PATH) is the same launcher: it gets the archive. */
    @Test
    void aLinkToTheLauncherGetsTheArchive() throws Exception {
        Path link = Files.createSymbolicLink(tmp.resolve("sdmodel"), LAUNCHER.toRealPath());
        Files.copy(Path.of(LAUNCHER + ".jsa"), tmp.resolve("sdmodel.jsa"));
        Files.copy(Path.of(LAUNCHER + ".jsa.for"), tmp.resolve("sdmodel.jsa.for"));
        Run r = run(link, Map.of("SDMODEL_JAVA_OPTS", "-Xlog:class+load"), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("org.sdmodel.cli.Main source: shared objects file"), r.out().lines()
                .filter(l -> l.contains("sdmodel.cli.Main ")).toList().toString());
    }

    /** The trace counts from the JVM's start, and marks each step to the first tensor byte and on. */
    @Test
    void theTraceShowsTheFixedCostFromTheJvmsStart() throws Exception {
        Path out = tmp.resolve("out.safetensors");
        Run r = run(LAUNCHER, Map.of("SDMODEL_JAVA_OPTS", "-Dsdmodel.trace=1"), "prune", FIXTURE.toString(), "-o",
                out.toString(), "--quiet");
        assertEquals(0, r.exit(), r.err());
        List<String> marks = new ArrayList<>();
        double last = 0;
        for (String line : r.err().lines().filter(l -> l.startsWith("trace:")).toList()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("trace: +([0-9.]+) ms (.+) \\(CPU \\d+ ms\\)")
                    .matcher(line);
            assertTrue(m.matches(), line);
            double at = Double.parseDouble(m.group(1));
            assertTrue(at >= last, r.err());
            last = at;
            marks.add(m.group(2));
        }
        assertEquals(List.of("main", "parsed", "opened", "planned", "writing: the first tensor byte", "write done",
                "check done", "commit done"), marks);
        String main = r.err().lines().filter(l -> l.startsWith("trace:")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(main.substring(6, 15).strip()) > 0, "main after the JVM's start: " + main);
    }

    @Test
    void versionPrintsOneLineAndNothingElse() throws Exception {
        Run r = run(LAUNCHER, Map.of(), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("sdmodel \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), "a version number: " + r.out());
        assertEquals("", r.err());
    }

    @Test
    void anArchiveTheJvmCannotUseIsIgnoredSilently() throws Exception {
        Path copy = tmp.resolve("sdmodel");
        Files.copy(LAUNCHER, copy, StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(tmp.resolve("sdmodel.jsa"), "not an archive");
        // named as made for this JDK and this launcher, so that the launcher gives it to the JVM
        Files.write(tmp.resolve("sdmodel.jsa.for"), List.of(Path.of(System.getProperty("java.home")).toRealPath().toString(),
                copy.toRealPath().toString()));
        Run r = run(copy, Map.of(), "--version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("sdmodel \\S.*\\n"), "stdout: " + r.out());
        assertEquals("", r.err());
    }

    /** The JDKs to run the launcher with: the one running the tests, and JDK 17 and 25 where installed. */
    static List<Path> jdks() {
        List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
        for (String dir : List.of("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/temurin-25-jdk-amd64")) {
            Path jdk = Path.of(dir);
            if (Files.isExecutable(jdk.resolve("bin/java")) && jdks.stream().noneMatch(j -> isSame(j, jdk))) {
                jdks.add(jdk);
            }
        }
        return jdks;
    }

    private static boolean isSame(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs a shell script (UTF-8 bytes, so that file names reach the launcher as the bytes a user's
     * shell passes, whatever this JVM's locale) in {@code dir}, with no locale at all in the
     * environment, as in Docker, cron or systemd.
     */
    private static Run runWithoutLocale(Path dir, Path jdk, String script) throws IOException, InterruptedException {
        Path file = dir.resolve("run.sh");
        Files.write(file, script.getBytes(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", file.toString()).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.equals("LANG") || k.equals("LANGUAGE") || k.startsWith("LC_"));
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().put("SDMODEL", LAUNCHER.toString());
        pb.environment().put("FIXTURE", FIXTURE.toString());
        pb.environment().remove("SDMODEL_JAVA_OPTS");
        return finish(pb.start());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aNonAsciiPathWithoutALocaleWasAnInvalidPath(Path jdk) throws Exception {
        Run r = runWithoutLocale(tmp, jdk, String.join("\n",
                "set -e",
                "mkdir -p 모델 && cp \"$FIXTURE\" 모델/a.ckpt",
                "\"$SDMODEL\" inspect 모델/a.ckpt | head -1",
                "\"$SDMODEL\" prune -q 모델/a.ckpt -o 결과/ >/dev/null",
                "cd 모델",
                "\"$SDMODEL\" inspect a.ckpt | head -1",
                "\"$SDMODEL\" prune -q a.ckpt >/dev/null",
                "ls",
                "ls ../결과", ""));
        assertEquals(0, r.exit(), r.err());
        assertEquals("모델/a.ckpt\na.ckpt\na-ema-pruned.safetensors\na.ckpt\na-ema-pruned.safetensors\n", r.out(), r.err());
        // the fixture's fp16 overflow warnings, nothing else
        assertTrue(r.err().lines().allMatch(l -> l.startsWith("sdmodel: warning: 7 values overflowed")), r.err());
    }

    @Test
    void noJavaOnPathSaidExecJavaNotFound() throws Exception {
        Path emptyBin = Files.createDirectory(tmp.resolve("bin"));
        for (Map<String, String> env : List.<Map<String, String>>of(Map.of(), Map.of("JAVA_HOME", tmp.resolve("no-jdk").toString()))) {
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", LAUNCHER.toString(), "--version");
            pb.environment().remove("JAVA_HOME");
            pb.environment().put("PATH", emptyBin.toString());
            pb.environment().putAll(env);
            Run r = finish(pb.start());
            assertEquals(127, r.exit(), r.toString());
            assertTrue(r.err().startsWith("sdmodel: needs Java 17 or newer"), r.err());
            assertTrue(r.err().contains("JAVA_HOME"), r.err());
            assertEquals(2, r.err().lines().count(), r.err());
            if (!env.isEmpty()) {
                assertTrue(r.err().contains("no-jdk, which has no bin/java"), r.err());
            }
        }
    }

    private static final Path SCRIPT = Path.of("/usr/bin/script");

    /**
     * Runs {@code shellCommand} on a pseudo-terminal made by util-linux {@code script}, and with
     * {@code interruptWhen}, types Ctrl-C into it (so that the terminal sends SIGINT, as for a user)
     * as soon as what it printed so far passes that test. Returns all the terminal showed.
     */
    private static Run onTerminal(String shellCommand, Map<String, String> env, java.util.function.Predicate<String> interruptWhen)
            throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT), "no " + SCRIPT);
        ProcessBuilder pb = new ProcessBuilder(SCRIPT.toString(), "-qec", shellCommand, "/dev/null");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("COLUMNS");
        pb.environment().remove("CI");
        pb.environment().remove("SDMODEL_JAVA_OPTS");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            try (java.io.InputStream in = p.getInputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (seen) {
                        seen.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.start();
        if (interruptWhen != null) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && p.isAlive()) {
                String sofar;
                synchronized (seen) {
                    sofar = seen.toString(StandardCharsets.UTF_8);
                }
                if (interruptWhen.test(sofar)) {
                    break;
                }
                Thread.sleep(50);
            }
            p.getOutputStream().write(3); // Ctrl-C
            p.getOutputStream().flush();
        }
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "did not stop");
        reader.join(10_000);
        return new Run(p.exitValue(), seen.toString(StandardCharsets.UTF_8), "");
    }

    private static String visible(String terminal) {
        return terminal.replace("\r", "\\r").replace("\n", "\\n");
    }

    /**
     * {@code sdmodel hash} of a big (sparse) file on a terminal 60 columns wide, interrupted with
     * Ctrl-C once the bar has been drawn a few times.
     */
    @Test
    void onA60ColumnTerminalTheBarWrappedAndCtrlCLeftThePromptOnItsLine() throws Exception {
        Path big = tmp.resolve("big.bin");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(64L << 30); // sparse: hashing it takes minutes, reading it no disk
        }
        Run r = onTerminal("stty cols 60 rows 24; exec '" + LAUNCHER + "' hash '" + big + "'", Map.of(),
                sofar -> sofar.chars().filter(c -> c == '%').count() >= 3);
        String out = r.out();
        assertEquals(130, r.exit(), visible(out));
        assertTrue(out.chars().filter(c -> c == '%').count() >= 3, "the bar was drawn: " + visible(out));
        for (String line : out.replace("^C", "").split("[\r\n]")) {
            assertTrue(line.length() < 60, "a line of " + line.length() + " columns on a 60-column terminal: " + visible(out));
        }
        assertTrue(out.endsWith("\n"), "the bar's line was not ended: the prompt would start on it: " + visible(out));
        String[] lines = out.split("[\r\n]+");
        assertTrue(lines[lines.length - 1].contains("%"), "the bar stays where it stopped: " + visible(out));
    }

    @Test
    void aZstdInputWasSilentWhileItDecompressed() throws Exception {
        Path zst = FIXTURE.resolveSibling("zstd").resolve("sd1-train.ckpt.zst");
        Path out = tmp.resolve("out.safetensors");
        // COLUMNS: the bar may draw at once, without waiting for stty (the file decompresses in milliseconds)
        Run r = onTerminal("exec '" + LAUNCHER + "' prune '" + zst + "' -o '" + out + "'", Map.of("COLUMNS", "100"), null);
        assertEquals(0, r.exit(), visible(r.out()));
        assertTrue(r.out().matches("(?s).*\\rdecompressing \\S*ckpt.zst \\[#+\\] 100%.*"), visible(r.out()));
        assertTrue(r.out().contains("of it decompressing the input)"), visible(r.out()));
    }

    @Test
    void installV2PruneGluedItsMessagesOntoAFrozenBar() throws Exception {
        Path webui = Files.createDirectories(tmp.resolve("webui/models/Stable-diffusion")).getParent().getParent();
        Files.writeString(webui.resolve("launch.py"), "");
        Path ckpt = FIXTURE.resolveSibling("readme").resolve("sd2-768-v.ckpt");
        Run r = onTerminal("exec '" + LAUNCHER + "' install-v2 '" + ckpt + "' --webui '" + webui + "' --prune",
                Map.of("COLUMNS", "100"), null);
        assertEquals(0, r.exit(), visible(r.out()));
        assertTrue(r.out().contains("%"), "bars were drawn: " + visible(r.out()));
        for (String message : List.of("checkpoint: ", "installed ", "In the web UI")) {
            int at = r.out().indexOf(message);
            assertTrue(at > 0, message + " in " + visible(r.out()));
            char before = r.out().charAt(at - 1);
            assertTrue(before == '\r' || before == '\n', "'" + message + "' glued onto a bar: " + visible(r.out()));
        }
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
