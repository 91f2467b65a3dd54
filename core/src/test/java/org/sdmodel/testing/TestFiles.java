package org.sdmodel.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find the project's fixtures and the shared real model files. */
public final class TestFiles {
    private TestFiles() {
    }

    /** The project root: from surefire's {@code sdmodel.projectRoot}, else the first folder upwards holding testdata/. */
    public static Path projectRoot() {
        String prop = System.getProperty("sdmodel.projectRoot");
        if (prop != null && Files.isDirectory(Path.of(prop, "testdata"))) {
            return Path.of(prop).toAbsolutePath();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("testdata")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the project root (no testdata/ above " + Path.of("").toAbsolutePath() + ")");
    }

    /** A file or folder under testdata/. */
    public static Path testdata(String relative) {
        return projectRoot().resolve("testdata").resolve(relative);
    }

    /**
     * The shared real model files ({@code ../shared/realmodels} beside the project). Tests that
     * need them are skipped when the folder is absent, except in CI, where its absence fails.
     */
    public static Path realModels() {
        Path dir = projectRoot().resolveSibling("shared").resolve("realmodels");
        if (!Files.isDirectory(dir)) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException("CI run without " + dir);
            }
            assumeTrue(false, "no " + dir);
        }
        return dir;
    }
}
