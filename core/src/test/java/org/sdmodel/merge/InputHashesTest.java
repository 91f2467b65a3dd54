package org.sdmodel.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;
import org.sdmodel.hash.ModelHashes;
import org.sdmodel.testing.TestFiles;

/** A merge's inputs hashed in the background: stand-ins first, then the real SHA-256s, or the input that failed. */
class InputHashesTest {
    @TempDir
    Path dir;

    @Test
    void placeholdersStandInThenTheRealHashesCome() throws Exception {
        Path a = Files.copy(TestFiles.testdata("merge/a.ckpt"), dir.resolve("a.ckpt"));
        Path b = Files.copy(TestFiles.testdata("merge/b.safetensors"), dir.resolve("b.safetensors"));
        try (ModelFile fa = ModelFile.open(a); ModelFile fb = ModelFile.open(b)) {
            AtomicLong progress = new AtomicLong();
            try (InputHashes h = InputHashes.start(List.of(fa, fb), 2, progress::addAndGet)) {
                List<MergeInput> pending = h.pending();
                for (MergeInput p : pending) {
                    assertEquals(64, p.sha256().length());
                    assertTrue(!p.sha256().matches("[0-9a-f]+"), "a placeholder is no SHA-256: " + p.sha256());
                }
                assertNotEquals(pending.get(0).sha256(), pending.get(1).sha256());
                assertEquals(8, pending.get(0).legacyHash().length());
                List<MergeInput> hashed = h.await();
                assertEquals(sha256(a), hashed.get(0).sha256());
                assertEquals(sha256(b), hashed.get(1).sha256());
                assertEquals(ModelHashes.autov1(a), hashed.get(0).legacyHash());
                assertEquals(ModelHashes.autov1(b), hashed.get(1).legacyHash());
                assertSame(fa, hashed.get(0).file());
                assertEquals(Files.size(a) + Files.size(b), h.bytes());
                assertEquals(h.bytes(), progress.get());
                assertTrue(h.isDone() && h.nanos() > 0);
            }
        }
    }

    @Test
    void anInputThatCannotBeReadIsNamed() throws Exception {
        Path a = Files.copy(TestFiles.testdata("merge/a.ckpt"), dir.resolve("a.ckpt"));
        Path b = Files.copy(TestFiles.testdata("merge/b.safetensors"), dir.resolve("b.safetensors"));
        try (ModelFile fa = ModelFile.open(a); ModelFile fb = ModelFile.open(b)) {
            Files.delete(b); // open, but gone when the hashing reads it again
            try (InputHashes h = InputHashes.start(List.of(fa, fb), 1, n -> { })) {
                InputHashes.InputHashException e = assertThrows(InputHashes.InputHashException.class, h::await);
                assertSame(fb, e.file());
                assertTrue(e.getCause() instanceof java.nio.file.NoSuchFileException, e.getCause().toString());
            }
        }
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
