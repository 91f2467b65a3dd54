package org.sdmodel.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sdmodel.ModelFile;
import org.sdmodel.testing.TestFiles;

/**
 * The first-bytes check accepts every model file the project has, torch-written and from other
 * projects (zip, legacy pickle of protocols 2 and 4, safetensors, zstd), and refuses what
 * servers send instead.
 */
class BodySnifferTest {
    private static BodySniffer.Refusal check(Path file) throws IOException {
        byte[] head = new byte[BodySniffer.HEAD_BYTES];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        return BodySniffer.check(head, n);
    }

    private static BodySniffer.Refusal check(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return BodySniffer.check(b, b.length);
    }

    @Test
    void everyModelFileOfTheProjectIsAccepted() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(TestFiles.testdata("."))) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().matches(".*\\.(ckpt|safetensors|pt|pth|bin|zst)$"))
                    .filter(p -> !p.toString().contains("/hostile/"))
                    .toList();
        }
        int accepted = 0;
        for (Path p : files) {
            boolean opens;
            try (ModelFile m = ModelFile.open(p)) {
                m.stateDict();
                opens = true;
            } catch (IOException | RuntimeException e) {
                opens = false; // a deliberately broken fixture: no claim either way
            }
            if (opens) {
                assertNull(check(p), p + " is a model file sdmodel reads");
                accepted++;
            }
        }
        assertEquals(true, accepted > 30, "only " + accepted + " fixtures checked");
    }

    @Test
    void theRealModelFilesOfOtherProjectsAreAccepted() throws IOException {
        Path real = TestFiles.realModels();
        try (Stream<Path> s = Files.list(real)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(ckpt|safetensors|pt|pth|bin)$")).toList()) {
                assertNull(check(p), p.toString());
            }
        }
    }

    @Test
    void pagesAndOtherBodiesAreNamed() {
        assertEquals("an HTML page", check("\uFEFF  \n<!doctype html><HTML><title>\n Sign in \n</title>").found());
        assertEquals("title \"Sign in\"", check("<!doctype html><HTML><title>\n Sign in \n</title>").detail());
        assertEquals("an HTML page", check("<html><body>no title</body></html>").found());
        assertEquals("\"no title\"", check("<html><body>no title</body></html>").detail());
        assertEquals("an XML document", check("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code></Error>").found());
        assertEquals("JSON", check("{\"error\":\"Repository not found\"}").found());
        assertEquals("JSON", check("[1,2]").found());
        assertEquals("text", check("Too Many Requests\n").found());
        assertEquals("an empty body", check("").found());
        assertEquals("gzip-compressed data", BodySniffer.check(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, 10).found());
        BodySniffer.Refusal unknown = BodySniffer.check(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10);
        assertEquals("data of no model format", unknown.found());
        assertEquals("first bytes 01 02 03 04 05 06 07 08", unknown.detail());
        // a safetensors-looking length beyond the reference's 100,000,000-byte header limit
        byte[] huge = new byte[16];
        huge[3] = 0x10; // 0x10000000 = 268 MB
        huge[8] = '{';
        assertNotNull(BodySniffer.check(huge, 16));
        // pickle protocol 0/1 text is not what a model download is
        assertNotNull(check("(dp0\nS'a'\np1\n"));
        assertEquals("\"" + "x".repeat(97) + "...\"", check("x".repeat(500)).detail());
    }
}
