package org.sdmodel.prune;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.safetensors.SafetensorsWriter;

/** The cheap self-check after writing ({@link Pruner#checkWritten}) finds what went wrong on the way to the file. */
class PrunerSelfCheckTest {
    @TempDir
    Path tmp;

    private Path out;
    private SafetensorsWriter writer;

    @BeforeEach
    void prune() throws IOException {
        out = tmp.resolve("out.safetensors");
        try (ModelFile model = ModelFile.open(TestFiles.testdata("sd1-train.ckpt"));
                FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
            writer = Pruner.writerFor(plan, Map.of("format", "pt"));
            Pruner.write(plan, writer, ch, Pruner.Progress.NONE);
        }
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(out, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Test
    void aCompleteOutputPasses() throws IOException {
        try (FileChannel ch = open()) {
            assertDoesNotThrow(() -> Pruner.checkWritten(writer, ch));
        }
    }

    @Test
    void aChangedHeaderByteIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 40);
            b.put(0, (byte) (b.get(0) ^ 1)).rewind();
            ch.write(b, 40);
            PruneException e = assertThrows(PruneException.class, () -> Pruner.checkWritten(writer, ch));
            assertTrue(e.getMessage().contains("header differs"), e.getMessage());
        }
    }

    @Test
    void aShortOutputIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ch.truncate(writer.fileSize() - 1);
            PruneException e = assertThrows(PruneException.class, () -> Pruner.checkWritten(writer, ch));
            assertTrue(e.getMessage().contains("were written"), e.getMessage());
        }
    }

    @Test
    void aLongOutputIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ch.write(ByteBuffer.allocate(1), writer.fileSize());
            assertThrows(PruneException.class, () -> Pruner.checkWritten(writer, ch));
        }
    }
}
