package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The progress bar's line (issue 14, items 6 and 7): it fits the terminal, the file name giving way
 * first, and it is ended before anything else is printed and when the JVM exits. The built
 * launcher on a real pseudo-terminal is in {@code LauncherIT}.
 */
class ProgressBarTest {
    private static final String LONG = "wd-v1-2-full-emma-ema-pruned.safetensors (zstd 3)";
    private static final long GB = 1L << 30;

    /** The pieces of terminal output between carriage returns and newlines: what each draw left on a line. */
    private static List<String> segments(String output) {
        return List.of(output.split("[\r\n]"));
    }

    @Test
    void theLineFitsEveryWidth() {
        for (String label : List.of("a.ckpt", LONG, "모델-한국어-이름이-긴-파일-ema-pruned.safetensors")) {
            ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), label, 8 * GB, false, () -> 80);
            for (int columns = 10; columns <= 200; columns++) {
                String line = bar.line(3 * GB, System.nanoTime() + 10_000_000_000L, columns - 1);
                assertTrue(ProgressBar.width(line) <= columns - 1, columns + " columns: " + line);
            }
        }
    }

    @Test
    void aBarWiderThanTheTerminalWrappedAtEveryUpdate() throws Exception {
        for (int columns : List.of(40, 60, 80)) {
            StringWriter raw = new StringWriter();
            PrintWriter err = ProgressBar.endingLines(new PrintWriter(raw));
            int width = columns;
            try (ProgressBar bar = new ProgressBar(err, LONG, 8 * GB, true, () -> width)) {
                for (int i = 0; i < 4; i++) {
                    bar.advance(GB);
                    Thread.sleep(210);
                }
            }
            for (String s : segments(raw.toString())) {
                assertTrue(ProgressBar.width(s) < columns, columns + " columns, a line of " + ProgressBar.width(s) + ": " + s);
            }
            assertTrue(raw.toString().contains("%"), raw.toString());
        }
    }

    @Test
    void theFileNameIsShortenedBeforeTheBar() {
        ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), LONG, 8 * GB, false, () -> 100);
        String line = bar.line(2 * GB, System.nanoTime() + 10_000_000_000L, 99);
        assertTrue(line.contains("[" + "#".repeat(6) + ".".repeat(18) + "]"), "the whole bar: " + line);
        assertTrue(line.startsWith("wd-v1-2") && line.contains("...") && line.contains("(zstd 3) ["), line);
        assertTrue(line.contains("ETA"), line);
        assertEquals(99, ProgressBar.width(line), line);
        String eighty = bar.line(2 * GB, System.nanoTime() + 10_000_000_000L, 79);
        assertTrue(eighty.startsWith("wd-v1-2") && eighty.contains("...") && eighty.contains("] "), "then the bar narrows: " + eighty);
        String wide = bar.line(2 * GB, System.nanoTime() + 10_000_000_000L, 200);
        assertTrue(wide.startsWith(LONG + " ["), "no need to shorten: " + wide);
        String narrow = bar.line(2 * GB, System.nanoTime() + 10_000_000_000L, 39);
        assertFalse(narrow.contains("ETA"), "the rate and time left go last: " + narrow);
        assertTrue(narrow.contains(" 25% 2.0 GiB/8.0 GiB"), narrow);
    }

    @Test
    void aMessageWasGluedOntoTheBarLine() throws Exception {
        StringWriter raw = new StringWriter();
        PrintWriter err = ProgressBar.endingLines(new PrintWriter(raw));
        try (ProgressBar bar = new ProgressBar(err, "a.ckpt", 100, true, () -> 80)) {
            bar.advance(10);
            err.println("sdmodel: note: something");
            int at = raw.toString().indexOf("sdmodel: note");
            assertTrue(at > 0, raw.toString().replace("\r", "\\r"));
            String before = raw.toString().substring(0, at);
            assertTrue(before.endsWith(" \r"), "the bar's line was erased first: " + before.replace("\r", "\\r"));
            Thread.sleep(210);
            bar.advance(10);
            assertTrue(raw.toString().substring(at).contains("20%"), "drawn again below the message");
        }
        assertTrue(raw.toString().endsWith("\r"), "closing erased the line");
    }

    @Test
    void anExitLeftTheShellPromptOnTheBarLine() {
        StringWriter raw = new StringWriter();
        PrintWriter err = ProgressBar.endingLines(new PrintWriter(raw));
        ProgressBar bar = new ProgressBar(err, "a.ckpt", 100, true, () -> 80);
        bar.advance(30);
        ProgressBar.endLineAtExitNow(); // what the shutdown hook does on Ctrl-C
        String out = raw.toString();
        assertTrue(out.endsWith("\n"), "the line is ended: " + out);
        assertTrue(segments(out).get(segments(out).size() - 1).contains("30%"), "the bar stays where it stopped: " + out);
        bar.advance(70);
        bar.close();
        assertEquals(out, raw.toString(), "nothing drawn after the exit");
    }
}
