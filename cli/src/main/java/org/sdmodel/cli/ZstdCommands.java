package org.sdmodel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.sdmodel.zstd.ZstdResult;

/** What {@code compress} and {@code decompress} share: the input check and the summary. */
final class ZstdCommands {
    private ZstdCommands() {
    }

    /** Refuses a missing input or a folder with the usual one-line error. */
    static void requireFile(Path input) throws CliException {
        if (Files.isDirectory(input)) {
            throw new CliException(ExitCode.INVALID_INPUT, input + ": is a directory");
        }
        if (!Files.exists(input)) {
            throw Failures.reading(input, new NoSuchFileException(input.toString(), null, "no such file"));
        }
    }

    static ObjectNode summary(Path input, Path output, ZstdResult r, double seconds) {
        ObjectNode s = Json.object();
        s.put("input", input.toString());
        s.put("output", output.toString());
        s.put("uncompressed_bytes", r.uncompressedBytes());
        s.put("uncompressed_sha256", r.uncompressedSha256());
        s.put("compressed_bytes", r.compressedBytes());
        s.put("ratio", r.ratio());
        s.put("seconds", seconds);
        return s;
    }

    /** Three lines: what became what, how fast (uncompressed bytes per second), how it was checked, the hash. */
    static void print(PrintWriter out, Path input, Path output, ZstdResult r, double seconds, boolean compressing, String note) {
        long from = compressing ? r.uncompressedBytes() : r.compressedBytes();
        long to = compressing ? r.compressedBytes() : r.uncompressedBytes();
        out.printf(Locale.ROOT, "%s -> %s%n", input, output);
        out.printf(Locale.ROOT, "  %s -> %s in %.1f s (%s/s); %s%n", Sizes.human(from), Sizes.human(to), seconds,
                Sizes.human((long) (r.uncompressedBytes() / Math.max(seconds, 1e-9))), note);
        out.printf(Locale.ROOT, "  uncompressed sha256 %s%n", r.uncompressedSha256());
    }
}
