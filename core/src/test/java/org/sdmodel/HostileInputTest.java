package org.sdmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.scan.ModelScanner;
import org.sdmodel.scan.ScanReport;
import org.sdmodel.testing.Allocations;
import org.sdmodel.testing.HostileFiles;
import org.sdmodel.testing.HostileFiles.Case;
import org.sdmodel.testing.HostileFiles.Refusal;

/**
 * Every hostile file of {@link HostileFiles} is refused by the library with the documented
 * exception and a one-line message naming the problem, quickly, without allocating what the file
 * claims (measured: the bytes the reading thread allocates), and {@code scan} says the same.
 *
 * <p>"Quickly" is checked loosely: each case takes well under a second on an idle machine, the
 * deep-nesting ones (300,000 levels) the longest; the timeout leaves room for a loaded CI host.
 */
class HostileInputTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Far below any size the files claim (2^62 bytes, 4 GiB strings, terabyte tensors). */
    private static final long ALLOCATION_LIMIT = 256L << 20;

    @TempDir
    Path dir;

    static List<Case> cases() {
        return HostileFiles.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefused(Case c) throws IOException {
        Path file = Files.write(dir.resolve(c.fileName()), c.content());
        IOException e = assertTimeoutPreemptively(TIMEOUT, () -> {
            long before = Allocations.byThisThread();
            IOException thrown = assertThrows(IOException.class, () -> {
                try (ModelFile m = ModelFile.open(file)) {
                    ObjectTrees.tensorCount(m.root()); // walking what was read must be safe too
                    m.stateDict();
                }
            });
            long allocated = Allocations.byThisThread() - before;
            assertTrue(allocated < ALLOCATION_LIMIT, "allocated " + allocated + " bytes");
            return thrown;
        });
        if (c.refusal() == Refusal.UNSAFE) {
            assertInstanceOf(UnsafeModelException.class, e, e.toString());
        } else {
            assertInstanceOf(ModelFormatException.class, e, e.toString());
        }
        assertOneLine(e.getMessage(), c.mentions());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void scanSaysTheSame(Case c) throws IOException {
        Path file = Files.write(dir.resolve(c.fileName()), c.content());
        ScanReport r = assertTimeoutPreemptively(TIMEOUT, () -> ModelScanner.scan(file));
        if (c.refusal() == Refusal.UNSAFE) {
            assertEquals(ScanReport.Verdict.UNSAFE, r.verdict(), r.toString());
            assertTrue(r.imports().stream().anyMatch(i -> i.qualifiedName().contains(c.mentions())), r.imports().toString());
        } else {
            // Unreadable, or unsafe where sdmodel stops (a limit) and Python would go on: never clean.
            assertEquals(r.problems().stream().anyMatch(ScanReport.Problem::unfollowed)
                    ? ScanReport.Verdict.UNSAFE : ScanReport.Verdict.UNREADABLE, r.verdict(), r.toString());
            for (ScanReport.Problem p : r.problems()) {
                assertOneLine(p.message(), null);
            }
            assertTrue(r.problems().stream().anyMatch(p -> p.message().toLowerCase(Locale.ROOT)
                    .contains(c.mentions().toLowerCase(Locale.ROOT))), r.problems().toString());
        }
    }

    static void assertOneLine(String message, String mentions) {
        assertTrue(message != null && !message.isBlank(), "no message");
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertTrue(message.length() <= ModelFormatException.MAX_MESSAGE_LENGTH + 200, message);
        assertFalse(message.contains("Exception") || message.contains("\tat "), message);
        if (mentions != null) {
            assertTrue(message.toLowerCase(Locale.ROOT).contains(mentions.toLowerCase(Locale.ROOT)),
                    "'" + message + "' does not mention " + mentions);
        }
    }
}
