package org.sdmodel.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs mounted for one test (root only), standing in for a read-only or full disk; skips the
 * test where mounting is not possible.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path path;

    private Tmpfs(Path path) {
        this.path = path;
    }

    /** Mounts a tmpfs with {@code options} ({@code size=8k}, {@code ro,size=64k}) at {@code at}, created if missing. */
    public static Tmpfs mount(Path at, String options) throws IOException, InterruptedException {
        Files.createDirectories(at);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "sdmodel-test", at.toString())
                .redirectErrorStream(true).start();
        boolean mounted = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        assumeTrue(mounted, "cannot mount a tmpfs here: " + new String(p.getInputStream().readAllBytes()).strip());
        return new Tmpfs(at);
    }

    /** The mount point. */
    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        Process p = new ProcessBuilder("umount", path.toString()).redirectErrorStream(true).start();
        try {
            p.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
