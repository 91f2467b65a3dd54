package org.sdmodel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Web UI folders for tests, laid out as the AUTOMATIC1111 web UI's git checkout lays them out
 * (testdata/webui/checkout: the stock webui-user.sh, webui-user.bat and webui-macos-env.sh, stand-ins
 * for launch.py and webui.py, and the placeholder files that make git keep
 * models/Stable-diffusion, models/VAE and embeddings), optionally with the folders its first start
 * creates (models/Lora, made by the Lora extension; models/hypernetworks).
 */
public final class WebUiTrees {
    private WebUiTrees() {
    }

    /** A fresh clone's tree at {@code dest} (created). */
    public static Path checkout(Path dest) {
        Path source = TestFiles.testdata("webui/checkout");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = dest.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dest;
    }

    /** The tree after the web UI's first start. */
    public static Path started(Path dest) {
        checkout(dest);
        try {
            Files.createDirectories(dest.resolve("models/Lora"));
            Files.createDirectories(dest.resolve("models/hypernetworks"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dest;
    }

    /**
     * Makes webui-user.sh the stock file with {@code line} added after its commented-out example
     * COMMANDLINE_ARGS line (on {@link #argsLine}).
     */
    public static Path setArgs(Path webui, String line) {
        try {
            Path f = webui.resolve("webui-user.sh");
            String text = Files.readString(TestFiles.testdata("webui/checkout/webui-user.sh"));
            String example = "#export COMMANDLINE_ARGS=\"\"\n";
            if (!text.contains(example)) {
                throw new IllegalStateException("webui-user.sh has no commented example line");
            }
            Files.writeString(f, text.replace(example, example + line + "\n"));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line number {@link #setArgs} puts its line on. */
    public static int argsLine(Path webui) {
        try {
            return Files.readAllLines(webui.resolve("webui-user.sh")).indexOf("#export COMMANDLINE_ARGS=\"\"") + 2;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
