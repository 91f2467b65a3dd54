package org.sdmodel.zstd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.ModelFormatException;
import org.sdmodel.ReadOptions;
import org.sdmodel.io.InsufficientSpaceException;
import org.sdmodel.testing.Expectations;
import org.sdmodel.testing.TestFiles;

/**
 * Every reader through zstd: the torch fixtures compressed by the zstd tool read as torch read the
 * originals (testdata/expected), the safetensors one as its original reads; the decompressed copy
 * lives in the chosen folder only while the file is open. Broken or hostile zstd input is refused
 * and leaves nothing behind.
 */
class ZstdModelFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private ReadOptions options() {
        return ReadOptions.defaults().withTempDirectory(tmp);
    }

    @org.junit.jupiter.api.Test
    void decompressionReportsItsProgressUpToTheCompressedSize() throws Exception {
        Path path = TestFiles.testdata("zstd/sd1-train.ckpt.zst");
        java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        try (ModelFile m = ModelFile.open(path, options().withDecompressionProgress(n -> {
            read.addAndGet(n);
            calls.incrementAndGet();
        }))) {
            assertEquals(Files.size(path), read.get());
            assertTrue(calls.get() > 0);
        }
        read.set(0);
        try (ModelFile m = ModelFile.open(TestFiles.testdata("sd1-train.ckpt"), options().withDecompressionProgress(read::addAndGet))) {
            assertEquals(0, read.get(), "nothing to decompress");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "sd1-train.ckpt.zst, sd1-train.ckpt, TORCH_ZIP",
        "sd1-train-legacy.ckpt.zst, sd1-train-legacy.ckpt, TORCH_LEGACY",
        "misc-objects.pt.zst, misc-objects.pt, TORCH_ZIP",
    })
    void torchFixturesReadAsTorchReadTheOriginals(String compressed, String original, ModelFormat format) throws Exception {
        JsonNode expected = JSON.readTree(TestFiles.testdata("expected/" + original + ".json").toFile());
        Path path = TestFiles.testdata("zstd/" + compressed);
        try (ModelFile m = ModelFile.open(path, options())) {
            assertEquals(format, m.format());
            assertEquals(path, m.path());
            assertEquals(Files.size(path), m.size());
            assertEquals(Files.size(TestFiles.testdata(original)), ((ZstdModelFile) m).decompressedSize());
            assertEquals(expected.get("state_dict_location").asText(), m.stateDict().location());
            Expectations.assertTensors(expected.get("tensors"), m.stateDict().tensors());
            assertEquals(1, partials().size(), "one decompressed copy while open");
        }
        assertEquals(List.of(), partials(), "the copy is deleted on close");
    }

    @Test
    void safetensorsInSeveralFramesReadAsTheOriginal() throws Exception {
        Path original = TestFiles.testdata("safetensors/reference/dtypes-torch.safetensors");
        try (ModelFile plain = ModelFile.open(original);
                ModelFile m = ModelFile.open(TestFiles.testdata("zstd/dtypes-torch.safetensors.zst"), options())) {
            assertEquals(ModelFormat.SAFETENSORS, m.format());
            assertEquals(plain.metadata(), m.metadata());
            assertEquals(Expectations.describe(plain.stateDict().tensors()), Expectations.describe(m.stateDict().tensors()));
        }
        assertEquals(List.of(), partials());
    }

    @Test
    void withoutAFolderTheSystemTemporaryFolderIsUsed() throws Exception {
        try (ModelFile m = ModelFile.open(TestFiles.testdata("zstd/sd1-train.ckpt.zst"))) {
            assertEquals(ModelFormat.TORCH_ZIP, m.format());
        }
    }

    @ParameterizedTest(name = "cut to {0} bytes")
    @ValueSource(ints = {6, 100, 20_000, -1})
    void truncatedInputIsRefusedAndLeavesNothing(int length) throws Exception {
        byte[] whole = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        Path cut = Files.write(tmp.resolve("cut.ckpt.zst"), Arrays.copyOf(whole, length < 0 ? whole.length + length : length));
        ZstdFormatException e = assertThrows(ZstdFormatException.class, () -> ModelFile.open(cut, options()));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(List.of(), partials());
    }

    @Test
    void corruptInputIsRefusedAndLeavesNothing() throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        bytes[bytes.length / 3] ^= 0x01;
        Path bad = Files.write(tmp.resolve("bad.ckpt.zst"), bytes);
        ZstdFormatException e = assertThrows(ZstdFormatException.class, () -> ModelFile.open(bad, options()));
        assertTrue(e.getMessage().startsWith("the zstd data is corrupt"), e.getMessage());
        assertEquals(List.of(), partials());
    }

    @Test
    void aHugeDeclaredSizeIsCheckedAgainstFreeSpaceNotAllocated() throws Exception {
        // A frame header claiming 2^62 bytes (single segment, 8-byte size), then nothing.
        byte[] header = ZstdFrameHeaderTest.bytes("28b52ffd" + "e0" + "0000000000000040");
        assertEquals(1L << 62, Zstd.getFrameContentSize(header)); // libzstd reads the same claim
        Path hostile = Files.write(tmp.resolve("huge.ckpt.zst"), header);
        InsufficientSpaceException e = assertThrows(InsufficientSpaceException.class, () -> ModelFile.open(hostile, options()));
        assertEquals(1L << 62, e.needed());
        assertTrue(e.getReason().startsWith("not enough free space in " + tmp), e.getReason());
        assertEquals(List.of(), partials());
    }

    @Test
    void zstdInsideZstdIsRefused() throws Exception {
        byte[] once = Files.readAllBytes(TestFiles.testdata("zstd/sd1-train.ckpt.zst"));
        Path twice = Files.write(tmp.resolve("twice.ckpt.zst.zst"), Zstd.compress(once, 3));
        ZstdFormatException e = assertThrows(ZstdFormatException.class, () -> ModelFile.open(twice, options()));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        assertEquals(List.of(), partials());
    }

    @Test
    void somethingElseCompressedIsNotAModelFile() throws Exception {
        Path text = Files.write(tmp.resolve("readme.txt.zst"), Zstd.compress("not a model\n".getBytes(), 3));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(text, options()));
        assertFalse(e instanceof ZstdFormatException, e.toString());
        assertTrue(e.getMessage().contains("not a PyTorch checkpoint or safetensors file"), e.getMessage());
        assertEquals(List.of(), partials());
    }

    @Test
    void aMissingTemporaryFolderIsAnIoErrorNotAFormatError() {
        IOException e = assertThrows(IOException.class, () -> ModelFile.open(TestFiles.testdata("zstd/sd1-train.ckpt.zst"),
                ReadOptions.defaults().withTempDirectory(tmp.resolve("no-such-folder"))));
        assertFalse(e instanceof ModelFormatException, e.toString());
        assertInstanceOf(java.nio.file.NoSuchFileException.class, e);
        assertTrue(((java.nio.file.NoSuchFileException) e).getReason().endsWith("no folder " + tmp.resolve("no-such-folder")),
                e.getMessage());
    }

    /** The decompressed copies (and anything else) left in the temporary folder, besides the test's own inputs. */
    private List<Path> partials() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sdmodel-partial")).sorted().toList();
        }
    }
}
