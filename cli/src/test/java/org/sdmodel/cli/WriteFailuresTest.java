package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.Tmpfs;

/**
 * An output that cannot be written (no permission, a read-only file system, a full disk) gives
 * exit code 4 and one line saying why, and leaves nothing behind: no output, no temporary file.
 *
 * <p>The tests run as root in CI, and root writes into any folder whatever its mode: there, a
 * read-only or tiny tmpfs mounted for the test stands in for the folder and the disk; where
 * neither a non-root user nor {@code mount} is available, those cases are skipped.
 */
class WriteFailuresTest {
    @TempDir
    Path dir;

    private static final String INPUT = TestFiles.testdata("sd1-train.ckpt").toString();

    @Test
    void aFolderWithoutWritePermission() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(folder), "running as root: permissions do not stop root");
            assertRefused(folder, "permission denied");
        } finally {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aReadOnlyFileSystem() throws Exception {
        try (Tmpfs ro = Tmpfs.mount(dir.resolve("ro"), "ro,size=64k")) {
            assertRefused(ro.path(), "read-only file system");
        }
    }

    @Test
    void aFullDisk() throws Exception {
        // 8 KiB of space; the outputs are about 30 and 50 KiB.
        try (Tmpfs small = Tmpfs.mount(dir.resolve("small"), "size=8k")) {
            assertRefused(small.path(), "no space left on the device");
        }
    }

    private static final String MERGE_A = TestFiles.testdata("merge/a.ckpt").toString();
    private static final String MERGE_B = TestFiles.testdata("merge/b.safetensors").toString();

    private static void assertRefused(Path folder, String why) throws IOException {
        Path target = folder.resolve("out.safetensors");
        for (String command : List.of("prune", "convert", "merge")) {
            // a merge hashes its inputs while it writes, and writes its header last
            CliRunner r = command.equals("merge")
                    ? CliRunner.run(command, "--quiet", MERGE_A, MERGE_B, "-o", target.toString())
                    : CliRunner.run(command, "--quiet", INPUT, "-o", target.toString());
            assertEquals(ExitCode.OUTPUT_FAILED, r.exitCode, r.toString());
            assertEquals(1, r.err.lines().count(), r.err);
            assertTrue(r.err.startsWith("sdmodel: " + target + ": cannot write: "), r.err);
            assertTrue(r.err.toLowerCase(java.util.Locale.ROOT).contains(why), r.err);
            try (Stream<Path> left = Files.list(folder)) {
                assertEquals(List.of(), left.toList(), "files left behind");
            }
        }
    }
}
