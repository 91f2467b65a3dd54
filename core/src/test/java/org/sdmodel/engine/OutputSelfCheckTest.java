package org.sdmodel.engine;

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
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;
import org.sdmodel.safetensors.SafetensorsWriter;
import org.sdmodel.testing.TestFiles;

/** The cheap self-check after writing ({@link ModelWriter#checkWritten}) finds what went wrong on the way to the file. */
class OutputSelfCheckTest {
    @TempDir
    Path tmp;

    private Path out;
    private SafetensorsWriter layout;

    @BeforeEach
    void prune() throws IOException {
        out = tmp.resolve("out.safetensors");
        try (ModelFile model = ModelFile.open(TestFiles.testdata("sd1-train.ckpt"))) {
            TensorPlan plan = PrunePlan.of(model, PruneOptions.defaults()).tensors(Map.of("format", "pt"));
            layout = plan.layout();
            ModelWriter.write(plan, out, WriteOptions.defaults());
        }
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(out, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Test
    void aCompleteOutputPasses() throws IOException {
        try (FileChannel ch = open()) {
            assertDoesNotThrow(() -> ModelWriter.checkWritten(layout, ch));
        }
    }

    @Test
    void aChangedHeaderByteIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 40);
            b.put(0, (byte) (b.get(0) ^ 1)).rewind();
            ch.write(b, 40);
            OutputCheckException e = assertThrows(OutputCheckException.class, () -> ModelWriter.checkWritten(layout, ch));
            assertTrue(e.getMessage().contains("header differs"), e.getMessage());
        }
    }

    @Test
    void aShortOutputIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ch.truncate(layout.fileSize() - 1);
            OutputCheckException e = assertThrows(OutputCheckException.class, () -> ModelWriter.checkWritten(layout, ch));
            assertTrue(e.getMessage().contains("were written"), e.getMessage());
        }
    }

    @Test
    void aLongOutputIsFound() throws IOException {
        try (FileChannel ch = open()) {
            ch.write(ByteBuffer.allocate(1), layout.fileSize());
            assertThrows(OutputCheckException.class, () -> ModelWriter.checkWritten(layout, ch));
        }
    }
}
