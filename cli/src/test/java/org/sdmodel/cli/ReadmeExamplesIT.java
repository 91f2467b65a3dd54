package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.TestFiles;

/**
 * The README's examples, run as written with the built launcher ({@code cli/target/sdmodel} as
 * {@code sdmodel} on {@code PATH}):
 *
 * <ul>
 *   <li>Each sample ({@code ```} block whose first line is {@code $ sdmodel ...}) runs in a folder
 *   holding {@code testdata/} and prints exactly what the README shows (standard output and error
 *   as a terminal shows them; durations, {@code in 0.1 s}, vary and are compared as a pattern).
 *   <li>Each command of a {@code ```sh} block runs with {@code sh -c} in a fresh folder that looks
 *   like a web UI install, with a fresh {@code $HOME} holding {@code Downloads/} and the web UI
 *   folders the examples name; every file the command names as an input is a small stand-in made
 *   first (a torch checkpoint from testdata, or its safetensors, zstd or SD 2.x counterparts, see
 *   {@link #standIn}). It must exit 0, and a {@code # -> NAME} comment must be true: NAME exists
 *   afterwards. The few lines that are not sdmodel commands (the build, the benchmark) are listed
 *   in {@link #NOT_RUN} with the reason; the sections other tests run as written (the web UI's,
 *   the downloads') in {@link #RUN_ELSEWHERE}.
 * </ul>
 */
class ReadmeExamplesIT {
    private static final Path ROOT = TestFiles.projectRoot();
    private static final Path README = ROOT.resolve("README.md");
    private static final Path LAUNCHER = Path.of("target", "sdmodel").toAbsolutePath();

    /** README lines in sh blocks that this test does not run, and why. */
    private static final Map<String, String> NOT_RUN = Map.of(
            "./mvnw -B verify", "the build and test suite this test is part of",
            "./mvnw -q -B package -DskipTests && testdata/bench/run.sh 8 4 2 1",
            "the benchmark: about 10 GB of inputs and an hour; its figures are not asserted",
            "./mvnw -q -B package -DskipTests && testdata/bench/merge.sh 4 2 1",
            "the merge benchmark: about 8.5 GB of inputs; its figures are not asserted",
            "./mvnw -q -B install -pl core -am -DskipTests",
            "installing core for a project that uses it: testdata/consumer/run.sh (in .ci/run) installs it so, into a temporary repository",
            "testdata/consumer/run.sh /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64",
            ".ci/run runs it after the test suite: it builds the project again to install it");

    /** Downloads, which need a server: InstallV2DownloadTest runs these lines against a local one. */
    private static boolean isDownload(String command) {
        return command.contains(" --url ");
    }

    /** The quick start: the build has run (this test runs after it); the prune after it runs here. */
    private static final String BUILD_PREFIX = "./mvnw -q -B package -DskipTests && ";

    @TempDir
    static Path shared;

    private static Path standInSafetensors;

    @TempDir
    Path tmp;

    /**
     * README sections whose examples other tests run as written, with what they need there (a web
     * UI laid out as its checkout is, a local HTTP server): their blocks are left to them.
     */
    private static final Map<String, String> RUN_ELSEWHERE = Map.of(
            "### install-v2", "ReadmeWebUiExamplesIT",
            "#### Downloading the checkpoint", "InstallV2DownloadTest",
            "### hash", "ReadmeWebUiExamplesIT (the sh block; the sample is compared here)",
            "## Where files go", "ReadmeWebUiExamplesIT",
            "### merge", "ReadmeMergeExamplesTest (SD-shaped models to merge)",
            "### extract", "ReadmeMergeExamplesTest (SD-shaped models to take apart)");

    record Example(String line, String command, String comment) {
        @Override
        public String toString() {
            return line;
        }
    }

    record Sample(String command, String expected) {
        @Override
        public String toString() {
            return command;
        }
    }

    private static List<String> readme() throws IOException {
        return Files.readAllLines(README, StandardCharsets.UTF_8);
    }

    static List<Example> examples() throws IOException {
        List<Example> all = new ArrayList<>();
        boolean inBlock = false;
        boolean inSh = false;
        String section = "";
        for (String line : readme()) {
            if (line.startsWith("```")) {
                inBlock = !inBlock;
                inSh = inBlock && line.equals("```sh");
                continue;
            }
            if (!inBlock && line.startsWith("#")) {
                section = line;
            }
            if (inSh && !line.isBlank() && !RUN_ELSEWHERE.containsKey(section)) {
                int hash = line.indexOf("  #");
                String command = (hash < 0 ? line : line.substring(0, hash)).strip();
                String comment = hash < 0 ? "" : line.substring(hash + 3).strip();
                all.add(new Example(line, command, comment));
            }
        }
        return all;
    }

    static List<Sample> samples() throws IOException {
        List<Sample> all = new ArrayList<>();
        List<String> lines = readme();
        String section = "";
        boolean inBlock = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("```")) {
                inBlock = !inBlock;
            } else if (!inBlock && lines.get(i).startsWith("#")) {
                section = lines.get(i);
            }
            boolean elsewhere = RUN_ELSEWHERE.containsKey(section) && !section.equals("### hash");
            if (lines.get(i).equals("```") && i + 1 < lines.size() && lines.get(i + 1).startsWith("$ sdmodel ") && !elsewhere) {
                StringBuilder expected = new StringBuilder();
                int j = i + 2;
                for (; !lines.get(j).startsWith("```"); j++) {
                    expected.append(lines.get(j)).append('\n');
                }
                all.add(new Sample(lines.get(i + 1).substring(2), expected.toString()));
                i = j;
                inBlock = false;
            }
        }
        return all;
    }

    @BeforeAll
    static void makeStandIns() throws Exception {
        standInSafetensors = shared.resolve("sd1-train.safetensors");
        Run r = run(shared, shared, "sdmodel convert -q '" + TestFiles.testdata("sd1-train.ckpt") + "' -o '" + standInSafetensors + "'");
        assertEquals(0, r.exit, r.out);
    }

    @Test
    void everyLineIsRunOrListedAsNotRun() throws Exception {
        List<String> commands = examples().stream().map(Example::command).toList();
        for (String line : commands) {
            boolean runs = line.startsWith("sdmodel ") || line.startsWith("cd ") && line.contains(" && sdmodel ")
                    || line.startsWith(BUILD_PREFIX + "cli/target/sdmodel ");
            assertTrue(runs || NOT_RUN.containsKey(line), "a README command this test does not know how to run: " + line);
            assertFalse(isDownload(line) && !line.startsWith("sdmodel install-v2 "), "a download this test does not know: " + line);
        }
        for (String listed : NOT_RUN.keySet()) {
            assertTrue(commands.contains(listed), "listed as not run, but not in the README: " + listed);
        }
        assertTrue(samples().size() >= 3, "the samples: " + samples());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void theCommandRunsAsWritten(Example e) throws Exception {
        if (NOT_RUN.containsKey(e.command()) || isDownload(e.command())) {
            return;
        }
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path webui = webUi(tmp.resolve("webui"));
        Files.createSymbolicLink(home.resolve("stable-diffusion-webui"), webui);
        webUi(home.resolve("sd"));
        Files.createDirectories(home.resolve("Downloads"));
        Files.copy(TestFiles.testdata("readme/sd2-768-v.ckpt"), home.resolve("Downloads/768-v-ema.ckpt"));
        String command = e.command();
        if (command.startsWith(BUILD_PREFIX)) {
            command = command.substring(BUILD_PREFIX.length());
            Files.createSymbolicLink(webui.resolve("testdata"), ROOT.resolve("testdata"));
            Files.createDirectories(webui.resolve("cli/target"));
            Files.createSymbolicLink(webui.resolve("cli/target/sdmodel"), LAUNCHER);
        }
        for (String input : inputs(command)) {
            Path file = webui.resolve(input.replaceFirst("^~/", home + "/"));
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Files.copy(standIn(file.getFileName().toString()), file);
            }
        }
        Run r = run(webui, home, command);
        assertEquals(0, r.exit, r.out);
        Matcher arrow = Pattern.compile("^-> ([^ ,]+\\.[^ ,]+)").matcher(e.comment()); // a file name
        if (arrow.find()) {
            assertTrue(Files.exists(webui.resolve(arrow.group(1))), "'# -> " + arrow.group(1) + "': no such file after\n" + r.out);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void theSamplePrintsWhatTheReadmeShows(Sample s) throws Exception {
        Files.createSymbolicLink(tmp.resolve("testdata"), ROOT.resolve("testdata"));
        Run r = run(tmp, tmp, s.command());
        assertEquals(s.expected().contains("verdict: DANGEROUS") ? ExitCode.UNSAFE : ExitCode.OK, r.exit, r.out);
        assertEquals(durations(s.expected()), durations(r.out), s.command());
    }

    /** Durations vary from run to run: "in 0.1 s" becomes "in #.# s". */
    private static String durations(String text) {
        return text.replaceAll("\\bin \\d+\\.\\d s\\b", "in #.# s");
    }

    /** A folder as the web UI's git checkout has it: launch.py and models/Stable-diffusion. */
    private static Path webUi(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("models/Stable-diffusion"));
        Files.writeString(dir.resolve("launch.py"), "# stand-in\n");
        return dir;
    }

    /**
     * The files a command names as inputs: words with a model or config file's extension that
     * are not the value of {@code -o}; a glob ({@code *.safetensors}) stands for two files.
     */
    static List<String> inputs(String command) {
        List<String> words = new ArrayList<>();
        Matcher m = Pattern.compile("'([^']*)'|(\\S+)").matcher(command.substring(command.lastIndexOf("&&") + 2));
        while (m.find()) {
            words.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            boolean output = i > 0 && (words.get(i - 1).equals("-o") || words.get(i - 1).equals("--output"));
            if (output || !w.matches(".*\\.(ckpt|pt|pth|bin|safetensors|zst|yaml)")) {
                continue;
            }
            if (w.contains("*")) {
                inputs.add(w.replace("*", "a"));
                inputs.add(w.replace("*", "b"));
            } else {
                inputs.add(w);
            }
        }
        return inputs;
    }

    /** The small file that stands in for a file of this name. */
    private Path standIn(String name) throws IOException {
        if (name.endsWith(".zst")) {
            return TestFiles.testdata("zstd/sd1-train.ckpt.zst");
        }
        boolean sd2 = name.contains("768") || name.contains("v2") || name.contains("sd2");
        if (name.endsWith(".safetensors")) {
            return sd2 ? TestFiles.testdata("arch/sd2.safetensors") : standInSafetensors;
        }
        if (name.endsWith(".yaml")) {
            // an eps-prediction SD 2 config: sdmodel's v config without its parameterization line
            return ROOT.resolve("core/src/main/resources/org/sdmodel/webui/v2-inference.yaml"); // the eps config sdmodel ships
        }
        return sd2 ? TestFiles.testdata("readme/sd2-768-v.ckpt") : TestFiles.testdata("sd1-train.ckpt");
    }

    record Run(int exit, String out) {
    }

    /** {@code sh -c command} in {@code dir}, the launcher's folder first on PATH, standard error merged into standard output. */
    private static Run run(Path dir, Path home, String command) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(home.resolve(".readme-bin"));
        Path sdmodel = bin.resolve("sdmodel");
        if (!Files.exists(sdmodel)) {
            Files.createSymbolicLink(sdmodel, LAUNCHER);
        }
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("CI");
        pb.environment().remove("SDMODEL_JAVA_OPTS");
        // no example here downloads; should one try (a stand-in not found), it fails at once
        for (String proxy : new String[] {"https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"}) {
            pb.environment().put(proxy, "http://127.0.0.1:9");
        }
        pb.environment().remove("no_proxy");
        pb.environment().remove("NO_PROXY");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }
}
