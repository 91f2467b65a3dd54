package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.TestFiles;

/**
 * Every command's help and usage errors, byte for byte as the build that declared the commands with
 * picocli's annotations printed them ({@code testdata/cli-usage}, made by its
 * {@code make_usage.sh}): the commands are now declared with picocli's programmatic API
 * ({@link CommandSpecs}), which must not change what a user reads.
 */
class UsageTextTest {
    private static final Path DIR = TestFiles.testdata("cli-usage");

    static Stream<Arguments> cases() throws IOException {
        return Files.readAllLines(DIR.resolve("cases.txt")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> Arguments.of(l.substring(0, l.indexOf('|')), l.substring(l.indexOf('|') + 1)));
    }

    @ParameterizedTest(name = "{0}: sdmodel {1}")
    @MethodSource("cases")
    void printsWhatTheAnnotatedCommandsPrinted(String name, String arguments) throws IOException {
        String expected = Files.readString(DIR.resolve(name + ".txt"), StandardCharsets.UTF_8);
        CliRunner r = CliRunner.run(List.of(arguments.split(" ")).toArray(String[]::new));
        assertEquals(expected, r.out + "--- stderr\n" + r.err + "exit " + r.exitCode + "\n");
    }
}
